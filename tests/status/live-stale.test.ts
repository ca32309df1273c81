// `ccp status --live` with an endpoint that fails or never answers: the table still shows the last
// good numbers, and stderr says which accounts show old data and how old.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runCli } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

describe("ccp status --live when sampling fails", () => {
  test("names the accounts that show old data, and how old; exit 0 with the last good table", async () => {
    const pool = await makePool(fake, [{ name: "old", util5Pct: 30, util7Pct: 40 }]);
    const first = await runCli(["status", "--json"], { env: pool.vars });
    expect(first.code).toBe(0);
    fake.fault("slow", { count: "forever", delayMs: 30_000 });
    const r = await runCli(["status", "--live", "--plain"], { env: pool.vars });
    fake.clearFaults();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/old\s+\S+\s+30%\s+40%/);
    expect(r.stderr).toMatch(/old: the live sample failed \([^)]*\); showing data from \d+s ago\./);
  });
});
