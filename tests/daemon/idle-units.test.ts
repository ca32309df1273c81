// The pieces that let an idle daemon skip work: the remembering process scan, the directory
// stamps behind the overlay re-sync, and the chores that wait for a sweep's wakeup.
import { describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Chore, STAMP_SETTLE_MS, dirStamp } from "../../src/daemon/idle.ts";
import {
  type ProcessEntry,
  type ProcessLister,
  ProcessScanner,
  findSessions,
  procfsLister,
} from "../../src/daemon/process-scan.ts";
import { tempDir } from "../helpers/cli.ts";

/** A process table under the test's control that counts what was read. */
function fakeTable(initial: ProcessEntry[]): {
  lister: ProcessLister;
  table: Map<number, ProcessEntry>;
  reads: number[];
} {
  const table = new Map(initial.map((p) => [p.pid, p]));
  const reads: number[] = [];
  const read = (pid: number): ProcessEntry | null => {
    reads.push(pid);
    const p = table.get(pid);
    return p ? { ...p } : null;
  };
  return {
    table,
    reads,
    lister: {
      pids: () => [...table.keys()],
      read,
      list: () => [...table.keys()].map((pid) => read(pid)).filter((p): p is ProcessEntry => p !== null),
      cwd: () => null,
    },
  };
}

describe("the remembering process scan", () => {
  test("reads only processes it has not seen, forgets the gone ones, and a full scan reads all again", () => {
    const { lister, table, reads } = fakeTable([
      { pid: 1, ppid: 0, configDir: null },
      { pid: 10, ppid: 1, configDir: null },
    ]);
    const scanner = new ProcessScanner(lister);
    expect(scanner.list(false).map((p) => p.pid)).toEqual([1, 10]);
    expect(reads.splice(0)).toEqual([1, 10]);

    table.set(20, { pid: 20, ppid: 10, configDir: "/pool/acct-01", isClaude: true });
    table.delete(10);
    expect(scanner.list(false)).toEqual([
      { pid: 1, ppid: 0, configDir: null },
      { pid: 20, ppid: 10, configDir: "/pool/acct-01", isClaude: true },
    ]);
    expect(reads.splice(0)).toEqual([20]);

    // Pid 1 exec'd into claude (same pid, new environment): only a full scan reads it again.
    table.set(1, { pid: 1, ppid: 0, configDir: "/pool/acct-02", isClaude: true });
    expect(scanner.list(false).find((p) => p.pid === 1)?.configDir).toBeNull();
    expect(reads.splice(0)).toEqual([]);
    expect(scanner.list(true).find((p) => p.pid === 1)?.configDir).toBe("/pool/acct-02");
    expect(reads.splice(0).sort()).toEqual([1, 20]);
    // What the full scan read is what the next one remembers.
    expect(scanner.list(false).find((p) => p.pid === 1)?.configDir).toBe("/pool/acct-02");
    expect(reads).toEqual([]);
  });

  test("a process that could not be read is tried again next time", () => {
    const { lister, table, reads } = fakeTable([{ pid: 5, ppid: 1, configDir: "/pool/acct-01" }]);
    let unreadable = true;
    const flaky: ProcessLister = {
      ...lister,
      read: (pid) => {
        if (!unreadable) return lister.read?.(pid) ?? null;
        reads.push(pid);
        return null;
      },
    };
    const scanner = new ProcessScanner(flaky);
    expect(scanner.list(false)).toEqual([]);
    unreadable = false;
    expect(scanner.list(false).map((p) => p.pid)).toEqual([5]);
    expect(reads).toEqual([5, 5]);
    expect(table.size).toBe(1);
  });

  test("a lister that can only list everything is asked for everything every time", () => {
    let lists = 0;
    const scanner = new ProcessScanner({
      list: () => {
        lists++;
        return [{ pid: 3, ppid: 1, configDir: null }];
      },
      cwd: () => null,
    });
    scanner.list(false);
    scanner.list(false);
    expect(lists).toBe(2);
  });

  test.skipIf(process.platform !== "linux")(
    "over /proc: a claude started after a scan is found by the next one",
    async () => {
      const dir = tempDir("acct-");
      const scanner = new ProcessScanner(procfsLister());
      scanner.list(false);
      const named = join(tempDir("bin-"), "claude");
      symlinkSync(Bun.which("sleep") ?? "/bin/sleep", named);
      const child = Bun.spawn([named, "30"], {
        env: { PATH: process.env.PATH ?? "", CLAUDE_CONFIG_DIR: dir },
      });
      try {
        expect(findSessions(scanner.list(false), new Map([[dir, 3]]), new Set())).toEqual([
          { pid: child.pid, accountId: 3 },
        ]);
      } finally {
        child.kill("SIGKILL");
        await child.exited;
      }
    },
  );
});

describe("directory stamps", () => {
  /** Long after every change, so a stamp is trusted. */
  const later = (): number => Date.now() + 10 * STAMP_SETTLE_MS;

  test("any entry added, removed, renamed or replaced changes the stamp; a change inside a subdir does not", () => {
    const dir = tempDir("stamp-");
    mkdirSync(join(dir, "projects"));
    symlinkSync("/elsewhere/a", join(dir, "link"));
    const stamps = [dirStamp(dir, later())];
    writeFileSync(join(dir, "projects", "inside.json"), "{}");
    expect(dirStamp(dir, later())).toBe(stamps[0] as string);
    const steps: Array<() => void> = [
      () => writeFileSync(join(dir, "new.json"), "{}"),
      () => renameSync(join(dir, "new.json"), join(dir, "renamed.json")),
      () => unlinkSync(join(dir, "renamed.json")),
      () => {
        // A link repointed the way the overlay does it: a new link renamed over the old one.
        symlinkSync("/elsewhere/b", join(dir, "link.tmp"));
        renameSync(join(dir, "link.tmp"), join(dir, "link"));
      },
      () => {
        rmSync(join(dir, "projects"), { recursive: true });
        writeFileSync(join(dir, "projects"), "now a file");
      },
    ];
    for (const step of steps) {
      step();
      const stamp = dirStamp(dir, later());
      expect(stamp).not.toBe("");
      expect(stamps).not.toContain(stamp);
      stamps.push(stamp);
    }
  });

  test("a restore that sets the mtime back still changes the stamp", () => {
    const dir = tempDir("stamp-");
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(dir, old, old);
    const before = dirStamp(dir, later());
    writeFileSync(join(dir, "restored.json"), "{}");
    utimesSync(dir, old, old);
    expect(dirStamp(dir, later())).not.toBe(before);
  });

  test("a directory changed just now, or missing, has no stamp to trust", () => {
    const dir = tempDir("stamp-");
    writeFileSync(join(dir, "fresh.json"), "{}");
    expect(dirStamp(dir)).toBe("");
    expect(dirStamp(join(dir, "missing"), later())).toBe("");
    expect(dirStamp(join(dir, "fresh.json", "not-a-dir"), later())).toBe("");
  });
});

describe("chores", () => {
  test("ripe alongside a poll after half a period, overdue on their own after one and a half", () => {
    const chore = new Chore(1_000);
    expect(chore.ripe(0)).toBe(true);
    expect(chore.overdue(0)).toBe(true);
    chore.done(10_000);
    expect(chore.ripe(10_499)).toBe(false);
    expect(chore.ripe(10_500)).toBe(true);
    expect(chore.overdue(11_499)).toBe(false);
    expect(chore.overdue(11_500)).toBe(true);
    // A clock set back does not postpone it.
    expect(chore.overdue(9_000)).toBe(true);
  });
});
