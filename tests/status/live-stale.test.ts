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

describe("ccp status after a window's reset", () => {
  test("shows the new, empty window next to `reset`, not the old 100%", async () => {
    const pool = await makePool(fake, [{ name: "fresh", util5Pct: 100, util7Pct: 40, reset5InMs: -60_000 }]);
    const json = JSON.parse((await runCli(["status", "--json"], { env: pool.vars })).stdout);
    expect(json.accounts[0].util5Pct).toBe(0);
    expect(json.accounts[0].exhausted).toBe(false);
    const plain = await runCli(["status", "--plain"], { env: pool.vars });
    expect(plain.stdout).toMatch(/fresh\s+\S+\s+0%\s+40%\s+0 reset/);
    expect(plain.stdout).not.toContain("100%");
  });
});
