// The fake Anthropic server failing in every way it can while cc-pool samples usage live: no
// crash, a usable answer from the last known data, and a database that stays consistent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, type FaultMode, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

const MODES: FaultMode[] = [
  "429",
  "429-no-retry-after",
  "400",
  "401",
  "403",
  "404",
  "500",
  "503",
  "slow",
  "slow-body",
  "malformed-json",
  "truncated",
  "html",
  "too-large",
  "too-large-chunked",
];

let fake: FakeAnthropic;
let pool: TestPool;
let injected = 0;
const failures: string[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(fake, [
    { name: "calm", util5Pct: 15, util7Pct: 10 },
    { name: "busy", util5Pct: 75, util7Pct: 60 },
  ]);
});
afterAll(async () => {
  await fake.stop();
  console.log(
    `faults: ${MODES.length} modes, ${injected} faults injected into live sampling, ${failures.length} failures`,
  );
});

describe("faults during live sampling", () => {
  test("select --no-daemon survives every failure mode and keeps choosing from the last good data", async () => {
    const first = await runCli(["select", "--no-daemon"], { env: pool.vars });
    expect(first.stdout.trim()).toBe(pool.accounts[0]?.configDir as string);
    for (const mode of MODES) {
      fake.fault(mode, { count: 2, delayMs: 8000 });
      injected += 2;
      const r = await runCli(["select", "--no-daemon", "--fresh", "0s"], {
        env: pool.vars,
        cwd: tempDir(),
        timeoutMs: 30_000,
      });
      fake.clearFaults();
      if (r.code !== 0) failures.push(`${mode}: exit ${r.code} ${r.stderr}`);
      else if (r.stdout.trim() !== pool.accounts[0]?.configDir)
        failures.push(`${mode}: chose ${r.stdout.trim()}`);
      if (/^\s+at /m.test(r.stderr)) failures.push(`${mode}: stack trace`);
    }
    expect(failures).toEqual([]);
    const db = new Database(join(pool.vars.CCP_HOME as string, "pool.db"), { readonly: true });
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    const statuses = db
      .query<{ status: string; n: number }, []>(
        "SELECT status, count(*) AS n FROM usage_samples GROUP BY status",
      )
      .all();
    db.close();
    const byStatus = Object.fromEntries(statuses.map((s) => [s.status, s.n]));
    expect(byStatus.rate_limited).toBeGreaterThanOrEqual(4);
    expect(byStatus.unauthorized).toBeGreaterThanOrEqual(4);
    expect(byStatus.error).toBeGreaterThanOrEqual(10);
  }, 180_000);

  test("status --live survives every failure mode and still prints the table", async () => {
    for (const mode of MODES) {
      fake.fault(mode, { count: 2, delayMs: 8000 });
      injected += 2;
      const r = await runCli(["status", "--live", "--plain"], { env: pool.vars, timeoutMs: 30_000 });
      fake.clearFaults();
      if (r.code !== 0) failures.push(`status ${mode}: exit ${r.code} ${r.stderr}`);
      else if (!r.stdout.includes("calm") || !r.stdout.includes("busy"))
        failures.push(`status ${mode}: ${r.stdout}`);
      if (/^\s+at /m.test(r.stderr)) failures.push(`status ${mode}: stack trace`);
    }
    expect(failures).toEqual([]);
  }, 180_000);
});
