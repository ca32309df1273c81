// Polite polling: usage requests are counted per account, automatic ones stay under 20 per rolling
// hour (the hour scales with CCP_POLL_INTERVAL like every cadence), a sample the user asks for is
// always sent, and a fresh status-line sample replaces the daemon's poll.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeTx } from "../../src/store/db.ts";
import { noteUsageRequests } from "../../src/store/session-signals.ts";
import { runCli } from "../helpers/cli.ts";
import { daemonLog, reapAll, startDaemon, waitFor, withDb } from "../helpers/daemon.ts";
import { type FakeAnthropic, USAGE_PATH, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

setDefaultTimeout(60_000);

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(async () => {
  await reapAll();
});
afterAll(async () => {
  await fake.stop();
});

function requestsOf(chainId: string): number {
  return fake.requests.filter((r) => r.path === USAGE_PATH && r.chainId === chainId).length;
}

/** The account already used its whole budget: 19 requests just now. */
function spendBudget(pool: TestPool, accountId: number): void {
  const now = Date.now();
  withDb(pool.vars.CCP_HOME as string, (db) =>
    writeTx(db, () =>
      noteUsageRequests(
        db,
        accountId,
        Array.from({ length: 19 }, (_, i) => now - i * 100),
        0,
      ),
    ),
  );
}

interface Counts {
  account: number;
  name: string;
  lastHour: number;
  limit: number;
}

async function serviceCounts(pool: TestPool, extra: Record<string, string> = {}): Promise<Counts[]> {
  const r = await runCli(["service", "status", "--json"], { env: { ...pool.vars, ...extra } });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).usageRequests as Counts[];
}

describe("polite polling", () => {
  test("the daemon leaves an account with a spent budget alone and counts every request it sends", async () => {
    const pool = await makePool(fake, [
      { name: "spent", util5Pct: 10 },
      { name: "fresh", util5Pct: 20 },
    ]);
    const [spent, freshAcct] = pool.accounts as [TestPool["accounts"][0], TestPool["accounts"][0]];
    spendBudget(pool, spent.id);
    fake.clearRequests();
    // 2 s interval: the budget's hour is 40 s, so the 19 requests above stay inside it throughout.
    startDaemon(pool.vars, { CCP_POLL_INTERVAL: "2s" });
    await waitFor("two polls of the fresh account", () => requestsOf(freshAcct.token.chainId) >= 2, 30_000);
    expect(requestsOf(spent.token.chainId)).toBe(0);
    expect(daemonLog(pool.vars.CCP_HOME as string)).toContain(
      "acct-01 (spent): 19 usage requests in the last hour; waiting before the next",
    );
    const counts = await serviceCounts(pool, { CCP_POLL_INTERVAL: "2s" });
    const seen = requestsOf(freshAcct.token.chainId);
    const freshCount = counts.find((c) => c.name === "fresh")?.lastHour ?? -1;
    // The daemon may have sent one more between the two reads.
    expect(freshCount === seen || freshCount === seen + 1 || freshCount === seen - 1).toBe(true);
    expect(counts.find((c) => c.name === "spent")).toEqual({
      account: spent.id,
      name: "spent",
      lastHour: 19,
      limit: 19,
    });
  });

  test("a fresh status-line sample replaces the daemon's poll of that account", async () => {
    const pool = await makePool(fake, [
      { name: "reporting", util5Pct: 10 },
      { name: "quiet", util5Pct: 20 },
    ]);
    const [reporting, quiet] = pool.accounts as [TestPool["accounts"][0], TestPool["accounts"][0]];
    const now = Date.now();
    const r = await runCli(["statusline"], {
      env: { ...pool.vars, CLAUDE_CONFIG_DIR: reporting.configDir },
      stdin: JSON.stringify({
        session_id: "s-1",
        cost: { total_api_duration_ms: 800 },
        rate_limits: {
          five_hour: { used_percentage: 33, resets_at: Math.round((now + 3_600_000) / 1000) },
          seven_day: { used_percentage: 12, resets_at: Math.round((now + 86_400_000) / 1000) },
        },
      }),
    });
    expect(r.stdout).toStartWith("reporting · 5h 33%");
    fake.clearRequests();
    // A 20 s interval: the status-line sample stays fresh for the whole test.
    startDaemon(pool.vars, { CCP_POLL_INTERVAL: "20s" });
    await waitFor("a poll of the quiet account", () => requestsOf(quiet.token.chainId) >= 1, 30_000);
    await waitFor("the skip to be logged", () =>
      daemonLog(pool.vars.CCP_HOME as string).includes(
        "acct-01 (reporting): poll skipped, a session reported its usage through the status line",
      ),
    );
    expect(requestsOf(reporting.token.chainId)).toBe(0);
    const counts = await serviceCounts(pool, { CCP_POLL_INTERVAL: "20s" });
    expect(counts.map((c) => [c.name, c.lastHour])).toEqual([
      ["reporting", 0],
      ["quiet", 1],
    ]);
  });

  test("live sampling before a launch respects the budget; status --live (the user asking) does not", async () => {
    const pool = await makePool(fake, [
      { name: "spent", util5Pct: 10 },
      { name: "fresh", util5Pct: 20 },
    ]);
    const [spent, freshAcct] = pool.accounts as [TestPool["accounts"][0], TestPool["accounts"][0]];
    spendBudget(pool, spent.id);
    fake.clearRequests();
    const sel = await runCli(["select"], { env: pool.vars });
    expect(sel.code).toBe(0);
    expect(requestsOf(freshAcct.token.chainId)).toBe(1);
    expect(requestsOf(spent.token.chainId)).toBe(0);
    const live = await runCli(["status", "--live", "--json"], { env: pool.vars });
    expect(live.code).toBe(0);
    expect(requestsOf(spent.token.chainId)).toBe(1);
    const counts = await serviceCounts(pool);
    expect(counts.map((c) => [c.name, c.lastHour])).toEqual([
      ["spent", 20],
      ["fresh", 2],
    ]);
  });
});
