// Small parts of the daemon: the single-instance claim, the log, process scanning, session rows.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import {
  beatDaemon,
  claimDaemon,
  compareVersions,
  newOwner,
  readDaemonOwner,
  releaseDaemon,
} from "../../src/daemon/instance.ts";
import { openDaemonLog } from "../../src/daemon/log.ts";
import {
  type ProcessEntry,
  configDirFromEnviron,
  darwinLister,
  findSessions,
  looksLikeClaude,
  parseProcArgs2,
  procfsLister,
} from "../../src/daemon/process-scan.ts";
import { recordFoundSessions } from "../../src/daemon/sessions.ts";
import { takeAutostartSlot } from "../../src/daemon/spawn.ts";
import { insertAccount } from "../../src/store/accounts.ts";
import { type Db, openDb, writeTx } from "../../src/store/db.ts";
import { DAEMON_HEARTBEAT_KEY, getMeta } from "../../src/store/meta.ts";
import { insertSession, openSessions } from "../../src/store/sessions.ts";
import { tempDir } from "../helpers/cli.ts";

function freshDb(): Db {
  return openDb(join(tempDir("db-"), "pool.db"));
}

describe("single instance", () => {
  test("compareVersions orders releases and pre-releases", () => {
    expect(compareVersions("0.2.0", "0.10.0")).toBe(-1);
    expect(compareVersions("1.0.0", "1.0.0")).toBe(0);
    expect(compareVersions("1.0.0", "1.0.0-rc.1")).toBe(1);
    expect(compareVersions("v2.0", "1.9.9")).toBe(1);
  });

  test("a live holder of the same or a newer version keeps the pool; an older one is replaced", () => {
    const db = freshDb();
    const alive = () => true;
    const a = newOwner("1.0.0", 1000, 101);
    expect(claimDaemon(db, a, 1000, alive)).toEqual({ granted: true, replaced: null });
    const same = claimDaemon(db, newOwner("1.0.0", 2000, 102), 2000, alive);
    expect(same).toMatchObject({ granted: false, reason: "same-version" });
    const older = claimDaemon(db, newOwner("0.9.0", 2000, 103), 2000, alive);
    expect(older).toMatchObject({ granted: false, reason: "newer-version" });
    const newer = newOwner("1.1.0", 3000, 104);
    expect(claimDaemon(db, newer, 3000, alive)).toMatchObject({ granted: true, replaced: { pid: 101 } });
    // The replaced daemon learns it on its next beat and does not overwrite the heartbeat.
    expect(beatDaemon(db, a, 4000)).toEqual({ ownerNow: newer });
    expect(getMeta(db, DAEMON_HEARTBEAT_KEY)).toBe("3000");
    expect(beatDaemon(db, newer, 5000)).toBeUndefined();
    expect(getMeta(db, DAEMON_HEARTBEAT_KEY)).toBe("5000");
    db.close();
  });

  test("a dead holder, or one whose heartbeat went stale, is replaced", () => {
    const db = freshDb();
    claimDaemon(db, newOwner("1.0.0", 0, 201), 0, () => true);
    expect(claimDaemon(db, newOwner("1.0.0", 10, 202), 10, () => false).granted).toBe(true);
    expect(claimDaemon(db, newOwner("1.0.0", 200_000, 203), 200_000, () => true).granted).toBe(true);
    db.close();
  });

  test("release removes only its own claim", () => {
    const db = freshDb();
    const a = newOwner("1.0.0", 0, 301);
    const b = newOwner("2.0.0", 0, 302);
    claimDaemon(db, a, 0, () => true);
    claimDaemon(db, b, 0, () => true);
    releaseDaemon(db, a);
    expect(readDaemonOwner(db)?.pid).toBe(302);
    releaseDaemon(db, b);
    expect(readDaemonOwner(db)).toBeUndefined();
    expect(getMeta(db, DAEMON_HEARTBEAT_KEY)).toBeUndefined();
    db.close();
  });

  test("the restart ceiling allows three starts per ten minutes", () => {
    const db = freshDb();
    const min = 60_000;
    expect([0, 1, 2, 3].map((i) => takeAutostartSlot(db, i * min))).toEqual([true, true, true, false]);
    expect(takeAutostartSlot(db, 9 * min)).toBe(false);
    expect(takeAutostartSlot(db, 10 * min + 1)).toBe(true);
    db.close();
  });
});

describe("daemon log", () => {
  test("rotates by size, keeps three old files, and never writes a token", () => {
    const dir = tempDir("log-");
    const path = join(dir, "daemon.log");
    const log = openDaemonLog(path, { maxBytes: 400 });
    for (let i = 0; i < 60; i++) log.info(`line ${i} token sk-ant-oat01-abcdefghijklmnop end`);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["daemon.log", "daemon.log.1", "daemon.log.2", "daemon.log.3"]);
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      expect(text.length).toBeLessThanOrEqual(400);
      expect(text).not.toContain("sk-ant-oat01");
      expect(text).toContain("[redacted]");
    }
    expect(readFileSync(path, "utf8")).toContain("line 59");
  });

  test("a message cannot forge extra log lines", () => {
    const path = join(tempDir("log-"), "daemon.log");
    openDaemonLog(path).warn("one\ntwo\r\nthree");
    expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(1);
  });
});

describe("process scan", () => {
  const dirs = new Map([
    ["/pool/accounts/acct-01", 1],
    ["/pool/accounts/acct-02", 2],
  ]);
  const p = (pid: number, ppid: number, configDir: string | null = null): ProcessEntry => ({
    pid,
    ppid,
    configDir,
  });

  test("only the topmost process of a session counts; shims and other dirs are ignored", () => {
    const procs = [
      p(1, 0),
      p(10, 1),
      // an external claude and its tool children
      p(20, 10, "/pool/accounts/acct-01/"),
      p(21, 20, "/pool/accounts/acct-01"),
      p(22, 21, "/pool/accounts/acct-01"),
      // a `ccp run` shim (covered) and its claude
      p(30, 10),
      p(31, 30, "/pool/accounts/acct-02"),
      // not a pool account
      p(40, 10, "/home/me/.claude-other"),
      // a claude on acct-02 started from inside the acct-01 session
      p(50, 22, "/pool/accounts/acct-02"),
    ];
    expect(findSessions(procs, dirs, new Set([30]))).toEqual([
      { pid: 20, accountId: 1 },
      { pid: 50, accountId: 2 },
    ]);
    expect(findSessions(procs, dirs, new Set())).toContainEqual({ pid: 31, accountId: 2 });
  });

  test("only claude itself is a session: by its executable or argv, not what inherited the variable", () => {
    expect(looksLikeClaude("/home/me/.local/share/claude/versions/2.1.332", ["claude"])).toBe(true);
    expect(looksLikeClaude("/opt/homebrew/bin/claude", [])).toBe(true);
    expect(looksLikeClaude(null, ["/usr/local/bin/claude", "--resume"])).toBe(true);
    expect(
      looksLikeClaude("/usr/bin/node", ["node", "/x/node_modules/@anthropic-ai/claude-code/cli.js"]),
    ).toBe(true);
    expect(looksLikeClaude("/usr/bin/sleep", ["sleep", "600"])).toBe(false);
    expect(looksLikeClaude("/bin/bash", ["bash", "-c", "claude-helper.sh"])).toBe(false);
    expect(looksLikeClaude("/usr/bin/python3", ["python3", "claude.py"])).toBe(false);
    const dirs = new Map([["/pool/accounts/acct-01", 1]]);
    const orphan = { pid: 60, ppid: 1, configDir: "/pool/accounts/acct-01", isClaude: false };
    const session = { pid: 61, ppid: 1, configDir: "/pool/accounts/acct-01", isClaude: true };
    expect(findSessions([orphan, session], dirs, new Set())).toEqual([{ pid: 61, accountId: 1 }]);
  });

  test("CLAUDE_CONFIG_DIR is read from an environment block, whole entries only", () => {
    const block = (entries: string[]) => Buffer.from(`${entries.join("\0")}\0`);
    expect(configDirFromEnviron(block(["A=1", "CLAUDE_CONFIG_DIR=/x/y", "B=2"]))).toBe("/x/y");
    expect(configDirFromEnviron(block(["NOT_CLAUDE_CONFIG_DIR=/x", "B=2"]))).toBeNull();
    expect(configDirFromEnviron(block(["CLAUDE_CONFIG_DIR="]))).toBeNull();
    expect(configDirFromEnviron(block(["CLAUDE_CONFIG_DIR=/first"]))).toBe("/first");
  });

  test("a KERN_PROCARGS2 buffer splits into exec path, argv and environment", () => {
    const head = Buffer.alloc(4);
    head.writeInt32LE(2);
    const buf = Buffer.concat([
      head,
      Buffer.from("/usr/local/bin/claude\0\0\0\0"),
      Buffer.from("claude\0--resume\0"),
      Buffer.from("HOME=/Users/me\0CLAUDE_CONFIG_DIR=/pool/accounts/acct-01\0\0"),
      Buffer.from("ptr_munge=\0"),
    ]);
    expect(parseProcArgs2(buf)).toEqual({
      execPath: "/usr/local/bin/claude",
      argv: ["claude", "--resume"],
      env: ["HOME=/Users/me", "CLAUDE_CONFIG_DIR=/pool/accounts/acct-01"],
    });
    expect(parseProcArgs2(new Uint8Array(2))).toBeNull();
    const lying = Buffer.alloc(8);
    lying.writeInt32LE(5);
    expect(parseProcArgs2(lying)).toBeNull();
  });

  test.skipIf(process.platform !== "linux")(
    "procfs finds a real process by its CLAUDE_CONFIG_DIR",
    async () => {
      const dir = tempDir("acct-");
      const named = join(tempDir("bin-"), "claude");
      symlinkSync(Bun.which("sleep") ?? "/bin/sleep", named);
      const child = Bun.spawn([named, "30"], {
        env: { PATH: process.env.PATH ?? "", CLAUDE_CONFIG_DIR: dir },
      });
      // A process that only inherited the variable (an orphan of claude's Bash tool).
      const orphan = Bun.spawn(["sleep", "30"], {
        env: { PATH: process.env.PATH ?? "", CLAUDE_CONFIG_DIR: dir },
      });
      try {
        const procs = procfsLister().list();
        const mine = procs.find((x) => x.pid === child.pid);
        expect(mine).toEqual({ pid: child.pid, ppid: process.pid, configDir: dir, isClaude: true });
        expect(procs.find((x) => x.pid === orphan.pid)?.isClaude).toBe(false);
        expect(procs.find((x) => x.pid === process.pid)?.configDir).toBeNull();
        expect(findSessions(procs, new Map([[dir, 7]]), new Set())).toEqual([
          { pid: child.pid, accountId: 7 },
        ]);
        expect(procfsLister().cwd(child.pid)).toBe(process.cwd());
      } finally {
        child.kill("SIGKILL");
        orphan.kill("SIGKILL");
        await child.exited;
        await orphan.exited;
      }
    },
  );
});

describe("found sessions", () => {
  function poolDb(): Db {
    const db = freshDb();
    writeTx(db, () => {
      for (const id of [1, 2])
        insertAccount(db, {
          id,
          name: `a${id}`,
          nameIsCustom: false,
          configDir: `/p/acct-0${id}`,
          createdAtMs: 0,
        });
    });
    return db;
  }

  test("a claude launched from a `ccp select` reservation takes the reservation over", () => {
    const db = poolDb();
    writeTx(db, () => {
      insertSession(db, {
        accountId: 1,
        kind: "select",
        pid: null,
        cwd: "/work",
        startedAtMs: 0,
        expiresAtMs: 600_000,
      });
    });
    const r = writeTx(db, () => recordFoundSessions(db, [{ pid: 4242, accountId: 1 }], 1000, () => "/work"));
    expect(r).toEqual({ added: 0, adopted: 1 });
    const open = openSessions(db, 700_000);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ pid: 4242, kind: "external", cwd: "/work", expiresAtMs: null });
    db.close();
  });

  test("other processes get their own external row, once", () => {
    const db = poolDb();
    writeTx(db, () => recordFoundSessions(db, [{ pid: 5000, accountId: 2 }], 1000, () => "/x"));
    const again = writeTx(db, () => recordFoundSessions(db, [{ pid: 5000, accountId: 2 }], 2000));
    expect(again).toEqual({ added: 0, adopted: 0 });
    expect(openSessions(db, 3000).map((s) => [s.accountId, s.kind, s.pid, s.cwd])).toEqual([
      [2, "external", 5000, "/x"],
    ]);
    db.close();
  });
});

describe("macOS process table binding", () => {
  /** Compiles the procfs-backed stand-in for libSystem into tests/.build, cached by source hash. */
  function buildFakeLibSystem(): string {
    const source = join(import.meta.dir, "fake-libsystem.c");
    const buildDir = join(import.meta.dir, "..", ".build");
    mkdirSync(buildDir, { recursive: true });
    const digest = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 12);
    const lib = join(buildDir, `fake-libsystem-${digest}.so`);
    if (!existsSync(lib)) {
      const temp = `${lib}.${process.pid}.tmp`;
      const cc = Bun.spawnSync(["cc", "-shared", "-fPIC", "-O1", "-Wall", "-o", temp, source], {
        stderr: "pipe",
      });
      if (cc.exitCode !== 0) throw new Error(`cc failed: ${cc.stderr.toString()}`);
      renameSync(temp, lib);
    }
    return lib;
  }

  test.skipIf(process.platform !== "linux" || Bun.which("cc") === null)(
    "lists processes, parents and CLAUDE_CONFIG_DIR through the sysctl/libproc calls",
    async () => {
      const lister = await darwinLister(buildFakeLibSystem());
      const dir = tempDir("acct-");
      const child = Bun.spawn(["sleep", "30"], {
        env: { PATH: process.env.PATH ?? "", CLAUDE_CONFIG_DIR: dir },
      });
      try {
        const procs = lister.list();
        expect(procs.find((p) => p.pid === child.pid)).toEqual({
          pid: child.pid,
          ppid: process.pid,
          configDir: dir,
          // `sleep`: it carries the variable but is not claude.
          isClaude: false,
        });
        expect(procs.find((p) => p.pid === process.pid)?.configDir).toBeNull();
        expect(procs.length).toBeGreaterThan(2);
      } finally {
        child.kill("SIGKILL");
        await child.exited;
      }
    },
  );
});
