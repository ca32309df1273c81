// A pool database held write-locked by another process (a `sqlite3` shell, a backup tool):
// commands wait a bounded time and say what is wrong; `ccp run` always returns claude's status
// and closes its session row once the database is free.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

const LOCKER = `
const { Database } = require("bun:sqlite");
const db = new Database(process.argv[1]);
db.run("BEGIN IMMEDIATE");
db.run("UPDATE meta SET value = value WHERE 0");
console.log("locked");
await Bun.sleep(Number(process.argv[2]));
db.run("COMMIT");
`;

async function holdLock(dbPath: string, ms: number): Promise<ReturnType<typeof Bun.spawn>> {
  const proc = Bun.spawn([process.execPath, "-e", LOCKER, dbPath, String(ms)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toContain("locked");
  return proc;
}

test("select on a database locked for longer than the wait: a clear message, exit 1", async () => {
  const pool = await makePool(fake, [{ name: "one", util5Pct: 10 }]);
  const dbPath = join(pool.vars.CCP_HOME as string, "pool.db");
  const locker = await holdLock(dbPath, 14_000);
  try {
    const r = await runCli(["select", "--no-daemon"], { env: pool.vars, timeoutMs: 40_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("locked by another process");
    expect(r.stderr).not.toContain("Unexpected error");
  } finally {
    locker.kill("SIGKILL");
    await locker.exited;
  }
}, 60_000);

test("the lock lands while claude runs: ccp run returns claude's status and closes its row afterwards", async () => {
  const pool = await makePool(fake, [{ name: "one", util5Pct: 10 }], { PATH: pathWith(standInClaudeDir()) });
  const dbPath = join(pool.vars.CCP_HOME as string, "pool.db");
  const ready = join(tempDir(), "claude.pid");
  const run = runCli(["run"], {
    env: { ...pool.vars, FAKE_CLAUDE_READY: ready, FAKE_CLAUDE_SLEEP_MS: "1500", FAKE_CLAUDE_EXIT: "7" },
    timeoutMs: 60_000,
  });
  while (!existsSync(ready)) await Bun.sleep(20);
  const locker = await holdLock(dbPath, 12_000);
  try {
    const r = await run;
    expect(r.code).toBe(7);
    expect(r.stderr).not.toContain("Unexpected error");
  } finally {
    locker.kill("SIGKILL");
    await locker.exited;
  }
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .query<{ ended_at_ms: number | null; exit_code: number | null }, []>(
        "SELECT ended_at_ms, exit_code FROM sessions WHERE kind = 'run'",
      )
      .all();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.ended_at_ms).not.toBeNull();
    expect(rows[0]?.exit_code).toBe(7);
  } finally {
    db.close();
  }
}, 60_000);
