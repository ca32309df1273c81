// Per-model weekly windows (seven_day_sonnet, seven_day_opus, …) are binding limits: an account
// with one spent must not be picked while another has headroom, and the binding model is named.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runCli } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool, usagePayload } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let claudeDir: string;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  claudeDir = standInClaudeDir();
});
afterAll(async () => {
  await fake.stop();
});

const DAY_MS = 24 * 3_600_000;

function withModelWindow(util5: number, util7: number, key: string, pct: number): unknown {
  return {
    ...(usagePayload(util5, util7, null) as Record<string, unknown>),
    [key]: { utilization: pct, resets_at: new Date(Date.now() + 2 * DAY_MS).toISOString() },
  };
}

describe("per-model weekly limits", () => {
  test("a spent seven_day_sonnet window keeps an account from being picked; status and run name it", async () => {
    const pool = await makePool(fake, [{ name: "a" }, { name: "b" }], { PATH: pathWith(claudeDir) });
    const [a, b] = pool.accounts;
    // `a` looks emptiest on 5h/7d but its Sonnet limit is spent.
    fake.setUsage(a?.token.accessToken as string, withModelWindow(5, 10, "seven_day_sonnet", 100));
    fake.setUsage(b?.token.accessToken as string, usagePayload(40, 40, null));

    const select = await runCli(["select"], { env: pool.vars });
    expect(select.code).toBe(0);
    expect(select.stdout).toBe(`${b?.configDir}\n`);

    const status = await runCli(["status", "--json"], { env: pool.vars });
    const json = JSON.parse(status.stdout);
    const shown = json.accounts.find((x: { name: string }) => x.name === "a");
    expect(shown.exhausted).toBe(true);
    expect(shown.exhaustedWindows).toEqual(["7d-scoped"]);
    expect(shown.scoped7.model).toBe("Sonnet");
    const plain = await runCli(["status", "--plain"], { env: pool.vars });
    expect(plain.stdout).toMatch(/a .*exhausted, Sonnet limit 100%/);

    // Forced onto it, the launch says which limit is spent.
    const run = await runCli(["run", "-p", "x"], { env: { ...pool.vars, CCP_ACCOUNT: "a" } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("Using a · 5h 5% used · 7d 10% used · Sonnet limit 100% used");
    expect(run.stderr).toContain("7d Sonnet window resets");
  });

  test("a binding opus window is named in the announce line of an ordinary pick", async () => {
    const pool = await makePool(fake, [{ name: "solo" }], { PATH: pathWith(claudeDir) });
    fake.setUsage(
      pool.accounts[0]?.token.accessToken as string,
      withModelWindow(10, 20, "seven_day_opus", 70),
    );
    const run = await runCli(["run", "-p", "x"], { env: pool.vars });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("Selected solo · 5h 10% used · 7d 20% used · Opus limit 70% used");
  });

  test("a model window looser than 7d is not named", async () => {
    const pool = await makePool(fake, [{ name: "solo" }], { PATH: pathWith(claudeDir) });
    fake.setUsage(
      pool.accounts[0]?.token.accessToken as string,
      withModelWindow(10, 50, "seven_day_opus", 20),
    );
    const run = await runCli(["run", "-p", "x"], { env: pool.vars });
    expect(run.stderr).toContain("Selected solo · 5h 10% used · 7d 50% used\n");
  });
});

describe("several per-model limits", () => {
  test("when one model's limit resets, another spent one still keeps the account out", async () => {
    const { openDb } = await import("../../src/store/db.ts");
    const { DAEMON_HEARTBEAT_KEY, setMeta } = await import("../../src/store/meta.ts");
    const { join } = await import("node:path");
    const pool = await makePool(fake, [{ name: "a" }, { name: "b" }], { PATH: pathWith(claudeDir) });
    const [a, b] = pool.accounts;
    const soonMs = Date.now() + 1_500;
    fake.setUsage(a?.token.accessToken as string, {
      ...(usagePayload(5, 10, null) as Record<string, unknown>),
      seven_day_opus: { utilization: 100, resets_at: new Date(soonMs).toISOString() },
      seven_day_sonnet: { utilization: 100, resets_at: new Date(Date.now() + 2 * DAY_MS).toISOString() },
    });
    fake.setUsage(b?.token.accessToken as string, usagePayload(40, 40, null));
    expect((await runCli(["status", "--json"], { env: pool.vars })).code).toBe(0);
    // A daemon keeps the data: nothing is sampled again, the stored buckets must carry the truth.
    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    try {
      setMeta(db, DAEMON_HEARTBEAT_KEY, String(Date.now() + 60_000));
    } finally {
      db.close();
    }
    while (Date.now() <= soonMs) await Bun.sleep(100);
    const select = await runCli(["select"], { env: pool.vars });
    expect(select.code).toBe(0);
    expect(select.stdout).toBe(`${b?.configDir}\n`);
  });
});
