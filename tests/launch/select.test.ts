import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openDb } from "../../src/store/db.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool, usagePayload } from "../helpers/pool.ts";
import { expectSacredUnchanged, snapshotSacred } from "../helpers/sacred.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

function openSessions(ccpHome: string): Array<{ account_id: number; kind: string; cwd: string }> {
  const db = openDb(`${ccpHome}/pool.db`);
  try {
    return db
      .query<{ account_id: number; kind: string; cwd: string }, []>(
        "SELECT account_id, kind, cwd FROM sessions WHERE ended_at_ms IS NULL ORDER BY id",
      )
      .all();
  } finally {
    db.close();
  }
}

describe("ccp select", () => {
  test("prints only the emptiest account's dir, sampling live, and records a reservation", async () => {
    const pool = await makePool(fake, [
      { name: "busy", util5Pct: 80, util7Pct: 50 },
      { name: "idle", util5Pct: 10, util7Pct: 20 },
      { name: "mid", util5Pct: 40, util7Pct: 40 },
    ]);
    const before = snapshotSacred(pool.home);
    const cwd = tempDir("proj-");
    const r = await runCli(["select"], { env: pool.vars, cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pool.accounts[1]?.configDir}\n`);
    const sessions = openSessions(pool.vars.CCP_HOME as string);
    expect(sessions).toEqual([{ account_id: 2, kind: "select", cwd }]);
    expectSacredUnchanged(pool.home, before);
  });

  test("--json and --explain describe the decision term by term", async () => {
    const pool = await makePool(fake, [
      { name: "a", util5Pct: 22, util7Pct: 46, reset5InMs: null },
      { name: "b", util5Pct: 61, util7Pct: 70, reset5InMs: null },
    ]);
    const r = await runCli(["select", "--json", "--explain"], { env: pool.vars });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.kind).toBe("selected");
    expect(json.account.name).toBe("a");
    expect(json.ranked.map((x: { name: string }) => x.name)).toEqual(["a", "b"]);
    expect(json.ranked[0].terms.headroom5h).toBeCloseTo(54.6, 1);
    expect(r.stderr).toContain("▸");
    expect(r.stderr).toMatch(/a\s+68\.1/);
    expect(r.stderr).toMatch(/b\s+34\.8/);
  });

  test("a second launch from the same directory is pinned, another directory is not", async () => {
    const pool = await makePool(fake, [
      { name: "one", util5Pct: 30, util7Pct: 30 },
      { name: "two", util5Pct: 31, util7Pct: 30 },
    ]);
    const cwd = tempDir("proj-");
    const first = await runCli(["select", "--json"], { env: pool.vars, cwd });
    expect(JSON.parse(first.stdout).account.name).toBe("one");
    // Now `one` carries a live reservation (-2), so `two` scores higher; the pin keeps `one`.
    const second = await runCli(["select", "--json"], { env: pool.vars, cwd });
    const decision = JSON.parse(second.stdout);
    expect(decision.kind).toBe("pinned");
    expect(decision.account.name).toBe("one");
    const elsewhere = await runCli(["select", "--json"], { env: pool.vars, cwd: tempDir("other-") });
    expect(JSON.parse(elsewhere.stdout).account.name).toBe("two");
  });

  test("--account and CCP_ACCOUNT force an account by id or name; unknown is exit 2", async () => {
    const pool = await makePool(fake, [
      { name: "low", util5Pct: 5, util7Pct: 5 },
      { name: "high", util5Pct: 90, util7Pct: 90 },
    ]);
    const byName = await runCli(["select", "--account", "high"], { env: pool.vars });
    expect(byName.stdout.trim()).toBe(pool.accounts[1]?.configDir as string);
    const byEnv = await runCli(["select"], { env: { ...pool.vars, CCP_ACCOUNT: "2" } });
    expect(byEnv.stdout.trim()).toBe(pool.accounts[1]?.configDir as string);
    const unknown = await runCli(["select", "--account", "nope"], { env: pool.vars });
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain('No account "nope"');
    expect(unknown.stderr).toContain("1 (low)");
  });

  test("an exhausted account is never picked while another has headroom; all exhausted falls back loudly", async () => {
    const pool = await makePool(fake, [
      { name: "full", util5Pct: 100, util7Pct: 10 },
      { name: "half", util5Pct: 70, util7Pct: 95 },
    ]);
    const r = await runCli(["select", "--json"], { env: pool.vars });
    expect(JSON.parse(r.stdout).account.name).toBe("half");
    fake.setUsage(pool.accounts[1]?.token.accessToken as string, usagePayload(100, 95));
    const fallback = await runCli(["select", "--fresh", "0s", "--json"], { env: pool.vars, cwd: tempDir() });
    expect(fallback.code).toBe(0);
    expect(JSON.parse(fallback.stdout).kind).toBe("fallback");
    expect(fallback.stderr.toLowerCase()).toContain("extra usage");
  });

  test("usage errors from the API keep the last known data and still select", async () => {
    const pool = await makePool(fake, [
      { name: "x", util5Pct: 50, util7Pct: 10 },
      { name: "y", util5Pct: 20, util7Pct: 10 },
    ]);
    const ok = await runCli(["select"], { env: pool.vars });
    expect(ok.stdout.trim()).toBe(pool.accounts[1]?.configDir as string);
    for (const mode of ["500", "malformed-json", "429", "401", "html"] as const) {
      fake.fault(mode, { count: 2 });
      const r = await runCli(["select", "--fresh", "0s"], { env: pool.vars, cwd: tempDir() });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pool.accounts[1]?.configDir as string);
      fake.clearFaults();
    }
  });

  test("with the API unreachable and no data at all, select still answers (stale) instead of failing", async () => {
    const pool = await makePool(fake, [{ name: "solo" }], {
      CCP_USAGE_URL: "http://127.0.0.1:9/api/oauth/usage",
    });
    const r = await runCli(["select"], { env: pool.vars });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pool.accounts[0]?.configDir as string);
  });

  test("bad flags and an empty pool are clear errors", async () => {
    const pool = await makePool(fake, [{ name: "solo" }]);
    const bad = await runCli(["select", "--fresh", "soon"], { env: pool.vars });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--fresh");
    const empty = await runCli(["select"], { env: { ...pool.vars, CCP_HOME: `${tempDir()}/none` } });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("ccp add");
    expect(empty.stdout).toBe("");
  });

  test("30 selects at once all succeed and each records its session", async () => {
    const pool = await makePool(fake, [
      { name: "p1", util5Pct: 10, util7Pct: 10 },
      { name: "p2", util5Pct: 12, util7Pct: 10 },
      { name: "p3", util5Pct: 14, util7Pct: 10 },
    ]);
    await runCli(["select"], { env: pool.vars, cwd: tempDir() });
    const results = await Promise.all(
      Array.from({ length: 30 }, () => runCli(["select"], { env: pool.vars, cwd: tempDir() })),
    );
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const sessions = openSessions(pool.vars.CCP_HOME as string);
    expect(sessions.length).toBe(31);
    const counts = new Map<number, number>();
    for (const s of sessions) counts.set(s.account_id, (counts.get(s.account_id) ?? 0) + 1);
    const chosen = new Map<string, number>();
    for (const r of results) chosen.set(r.stdout.trim(), (chosen.get(r.stdout.trim()) ?? 0) + 1);
    for (const a of pool.accounts) {
      expect(counts.get(a.id) ?? 0).toBe((chosen.get(a.configDir) ?? 0) + (a.id === 1 ? 1 : 0));
    }
    // Reservations spread the load: every account got some launches.
    expect(chosen.size).toBe(3);
  });
});

describe("manual pins", () => {
  test("a pin set by hand outlives the hour and survives the launches that reuse it", async () => {
    const pool = await makePool(fake, [
      { name: "first", util5Pct: 10, util7Pct: 10 },
      { name: "second", util5Pct: 40, util7Pct: 40 },
    ]);
    const cwd = tempDir("pinned-");
    const db = openDb(`${pool.vars.CCP_HOME}/pool.db`);
    const twoHoursAgo = Date.now() - 2 * 3_600_000;
    db.run("INSERT INTO pins (cwd, account_id, updated_at_ms, manual) VALUES (?, 2, ?, 1)", [
      cwd,
      twoHoursAgo,
    ]);
    db.close();
    for (let i = 0; i < 2; i++) {
      const r = await runCli(["select", "--json"], { env: pool.vars, cwd });
      const decision = JSON.parse(r.stdout);
      expect(decision.kind).toBe("pinned");
      expect(decision.account.name).toBe("second");
    }
    const check = openDb(`${pool.vars.CCP_HOME}/pool.db`);
    expect(check.query("SELECT manual FROM pins WHERE cwd = ?").get(cwd)).toEqual({ manual: 1 });
    // An automatic pin of the same age has expired: the emptier account wins.
    check.run("UPDATE pins SET manual = 0, updated_at_ms = ? WHERE cwd = ?", [twoHoursAgo, cwd]);
    check.run("UPDATE sessions SET ended_at_ms = ?", [Date.now()]);
    check.close();
    const moved = await runCli(["select", "--json"], { env: pool.vars, cwd });
    expect(JSON.parse(moved.stdout).account.name).toBe("first");
  });
});

describe("select --wait", () => {
  test("with every account exhausted it waits for the soonest reset instead of falling back", async () => {
    const pool = await makePool(fake, [
      { name: "later", util5Pct: 100, util7Pct: 10, reset5InMs: 3 * 3_600_000 },
      { name: "soon", util5Pct: 100, util7Pct: 10, reset5InMs: 2_500 },
    ]);
    const r = await runCli(["select", "--wait", "--json"], { env: pool.vars, timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    const decision = JSON.parse(r.stdout);
    expect(decision.kind).toBe("selected");
    expect(decision.account.name).toBe("soon");
    expect(decision.warning).toBeNull();
    // It waited for the reset: the launch was recorded only once the window had reset.
    const db = openDb(`${pool.vars.CCP_HOME}/pool.db`);
    const reset = db
      .query<{ r: number }, []>("SELECT reset5_at_ms AS r FROM account_usage WHERE account_id = 2")
      .get();
    const launch = db.query<{ t: number }, []>("SELECT started_at_ms AS t FROM sessions").get();
    db.close();
    expect(launch?.t).toBeGreaterThanOrEqual(reset?.r as number);
  });

  test("without --wait the same pool falls back at once, with the warning", async () => {
    const pool = await makePool(fake, [
      { name: "later", util5Pct: 100, util7Pct: 10, reset5InMs: 3 * 3_600_000 },
      { name: "soon", util5Pct: 100, util7Pct: 10, reset5InMs: 60 * 60_000 },
    ]);
    const r = await runCli(["select", "--json"], { env: pool.vars });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).kind).toBe("fallback");
    expect(r.stderr).toContain("exhausted");
  });
});
