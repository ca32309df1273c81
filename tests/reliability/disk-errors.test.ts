// A full or failing disk: every command names the file and says what to do, never "Unexpected
// error" or a stack. The errors are real ones: SQLite refusing to grow a file, /dev/full, and (as
// root on Linux) a CCP_HOME on a tiny tmpfs that is filled up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diskError } from "../../src/errors.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let cases = 0;
const failures: string[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
  console.log(`disk errors: ${cases} cases, ${failures.length} unclear messages`);
  if (failures.length > 0) console.log(failures.join("\n"));
});

describe("disk errors are named", () => {
  test("SQLite's 'database or disk is full' names the database and the fix", () => {
    const path = join(tempDir("full-"), "pool.db");
    const db = new Database(path);
    db.run("CREATE TABLE t (x BLOB)");
    db.run("PRAGMA max_page_count = 3");
    let thrown: unknown;
    try {
      for (let i = 0; i < 100; i++) db.query("INSERT INTO t VALUES (?)").run(Buffer.alloc(4096));
    } catch (error) {
      thrown = error;
    } finally {
      db.close();
    }
    cases++;
    const named = diskError(thrown, path);
    expect(named?.message).toContain(path);
    expect(named?.message).toContain("full");
    expect(named?.hint).toContain("Free some space");
  });

  test("ENOSPC from the filesystem names the file", () => {
    if (!existsSync("/dev/full")) return;
    let thrown: unknown;
    try {
      writeFileSync("/dev/full", "x");
    } catch (error) {
      thrown = error;
    }
    cases++;
    // A write on an open file carries no path: the caller's fallback names it.
    const named = diskError(thrown, "/dev/full");
    expect(named?.message).toBe("Cannot use /dev/full: the disk is full (ENOSPC).");
    // Any other error is not a disk error.
    expect(diskError(new Error("boom"))).toBeUndefined();
  });

  test("commands on a full CCP_HOME say so, naming the database", async () => {
    const mnt = join(tempDir("mnt-"), "m");
    mkdirSync(mnt);
    // Needs root and Linux; elsewhere the two cases above cover the mapping.
    if (process.platform !== "linux" || process.getuid?.() !== 0) return;
    if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt]).exitCode !== 0) return;
    try {
      const pool = await makePool(fake, [{ name: "first", util5Pct: 10 }], {
        PATH: pathWith(standInClaudeDir()),
      });
      const home = join(mnt, "pool");
      cpSync(pool.vars.CCP_HOME as string, home, { recursive: true });
      try {
        writeFileSync(join(mnt, "filler"), Buffer.alloc(4 * 1024 * 1024));
      } catch {
        // Full now, as intended.
      }
      const vars = { ...pool.vars, CCP_HOME: home, CCP_DAEMON_AUTOSTART: "0" };
      for (const args of [
        ["select"],
        ["run", "-p", "x"],
        ["status", "--live", "--plain"],
        ["rename", "1", "y"],
      ]) {
        const r = await runCli(args, { env: vars });
        cases++;
        const label = `ccp ${args.join(" ")}`;
        if (r.code !== 1) failures.push(`${label}: exit ${r.code}`);
        if (!r.stderr.includes(join(home, "pool.db")) || !/Free some space/.test(r.stderr))
          failures.push(`${label}: ${r.stderr.slice(0, 300)}`);
        if (/Unexpected error|^\s+at /m.test(r.stderr))
          failures.push(`${label}: crashed: ${r.stderr.slice(0, 300)}`);
      }
    } finally {
      Bun.spawnSync(["umount", "-l", mnt]);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
