// 50 concurrent `ccp run` with a claude that works for a second: all launch, none trips over a
// busy database, every session row is closed afterwards, and the spread follows the scores.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

const LAUNCHES = 50;
let fake: FakeAnthropic;
let summary = "";

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
  console.log(summary);
});

describe("load", () => {
  test(`${LAUNCHES} concurrent launches all run and all check in`, async () => {
    const pool = await makePool(
      fake,
      [
        { name: "roomy", util5Pct: 5, util7Pct: 10 },
        { name: "medium", util5Pct: 30, util7Pct: 20 },
        { name: "tight", util5Pct: 60, util7Pct: 40 },
        { name: "spent", util5Pct: 100, util7Pct: 50 },
      ],
      { PATH: pathWith(standInClaudeDir()) },
    );
    // One launch first so every account has fresh data; the burst then works from the database.
    const warm = await runCli(["select"], { env: pool.vars });
    expect(warm.code).toBe(0);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: LAUNCHES }, (_, i) =>
        runCli(["run", "-p", `job ${i}`], {
          env: { ...pool.vars, FAKE_CLAUDE_SLEEP_MS: "1000" },
          cwd: tempDir("job-"),
          timeoutMs: 60_000,
        }),
      ),
    );
    const elapsedMs = performance.now() - started;
    const failed = results.filter((r) => r.code !== 0);
    expect(failed.map((r) => r.stderr)).toEqual([]);
    expect(results.some((r) => /locked|busy/i.test(r.stderr))).toBe(false);

    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    const rows = db
      .query<{ account_id: number; ended: number | null; exit_code: number | null }, []>(
        "SELECT account_id, ended_at_ms AS ended, exit_code FROM sessions WHERE kind = 'run'",
      )
      .all();
    db.close();
    expect(rows.length).toBe(LAUNCHES);
    expect(rows.filter((r) => r.ended === null)).toEqual([]);
    expect(rows.filter((r) => r.exit_code !== 0)).toEqual([]);
    const per = [1, 2, 3, 4].map((id) => rows.filter((r) => r.account_id === id).length);
    // Emptier accounts take more of the load; the exhausted one takes none while others have room.
    expect(per[3]).toBe(0);
    expect(per[0]).toBeGreaterThanOrEqual(per[1] as number);
    expect(per[1]).toBeGreaterThanOrEqual(per[2] as number);
    expect(per[0]).toBeLessThan(LAUNCHES);
    summary = `load: ${LAUNCHES} concurrent launches, ${failed.length} failures, spread ${per.join("/")} (roomy/medium/tight/spent), ${Math.round(elapsedMs)} ms`;
  }, 120_000);
});
