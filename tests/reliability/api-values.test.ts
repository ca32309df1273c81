// Values from the API and the clock that no sane server sends, but a broken one or a wrong clock
// can: huge or negative percents, reset times past the Date range, samples and heartbeats dated in
// the future. The parser corrects or refuses them; no command crashes; nothing blocks polling.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { openPool } from "../../src/app/pool.ts";
import { buildStatusModel } from "../../src/app/status.ts";
import { loadEnv } from "../../src/env.ts";
import { makeClock } from "../../src/ui/status/clock.ts";
import { renderDashboard } from "../../src/ui/status/render.ts";
import { setMeta, DAEMON_HEARTBEAT_KEY, daemonAlive } from "../../src/store/meta.ts";
import { insertSample, latestUsage } from "../../src/store/usage.ts";
import { PayloadError, parseUsagePayload } from "../../src/usage/payloads.ts";
import { runCli } from "../helpers/cli.ts";
import { reapAll, startDaemon, waitFor } from "../helpers/daemon.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool, usagePayload } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let payloads = 0;
let commands = 0;
let crashes = 0;
const failures: string[] = [];
/** Where the running test's failures start, so one test's failures do not fail the next. */
let start = 0;
beforeEach(() => {
  start = failures.length;
});

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await reapAll();
  await fake.stop();
  console.log(
    `api values: ${payloads} payloads, ${commands} commands, ${crashes} crashes, ${failures.length} failures`,
  );
  if (failures.length > 0) console.log(failures.slice(0, 20).join("\n"));
});

const MAX_DATE_MS = 8.64e15;
const PCTS: unknown[] = [1e308, -1e308, -5, 150, 100.0000001, 0, 100, 42.5, null, "50", true];
const RESETS: unknown[] = [9e15, 1e20, -1e20, 8.64e15, 1e11 + 1, 1_900_000_000, "garbage", "", null, -1];

/** The payload shapes that carry a percent and a reset time, with `pct` and `reset` put in. */
function shapes(pct: unknown, reset: unknown): Record<string, unknown>[] {
  return [
    { five_hour: { utilization: pct, resets_at: reset }, seven_day: { utilization: 5, resets_at: null } },
    { seven_day: { utilization: pct, resets_at: reset } },
    { seven_day: { utilization: 5 }, seven_day_opus: { utilization: pct, resets_at: reset } },
    { limits: [{ kind: "session", percent: pct, resets_at: reset }] },
    { limits: [{ kind: "weekly_all", percent: pct, resets_at: reset }] },
    {
      limits: [
        { kind: "weekly_scoped", percent: pct, resets_at: reset, scope: { model: { display_name: "Opus" } } },
      ],
    },
  ];
}

function validPct(value: number | null | undefined): boolean {
  return value === null || value === undefined || (Number.isFinite(value) && value >= 0 && value <= 100);
}
function validReset(value: number | null | undefined): boolean {
  return value === null || value === undefined || (Number.isFinite(value) && Math.abs(value) <= MAX_DATE_MS);
}

describe("the usage parser", () => {
  test("every percent × reset time × shape: a corrected value or a PayloadError, nothing else", () => {
    for (const pct of PCTS) {
      for (const reset of RESETS) {
        for (const payload of shapes(pct, reset)) {
          payloads++;
          const label = JSON.stringify(payload);
          try {
            const s = parseUsagePayload(payload);
            for (const value of [s.util5Pct, s.util7Pct, s.scoped7?.pct]) {
              if (!validPct(value)) failures.push(`${label}: percent ${value} passed`);
            }
            for (const value of [s.reset5AtMs, s.reset7AtMs, s.scoped7?.resetAtMs]) {
              if (!validReset(value)) failures.push(`${label}: reset ${value} passed`);
            }
            // A window skipped as a whole (a model window with a bad reset) has nothing to note.
            const corrected = typeof pct === "number" && (pct < 0 || pct > 100);
            const used = [s.util5Pct, s.util7Pct, s.scoped7?.pct].includes(
              typeof pct === "number" && pct < 0 ? 0 : 100,
            );
            if (corrected && used && !s.adjusted?.some((a) => a.includes(String(pct)))) {
              failures.push(`${label}: clamped without a note`);
            }
          } catch (error) {
            if (!(error instanceof PayloadError)) {
              crashes++;
              failures.push(`${label}: ${(error as Error).name}: ${(error as Error).message}`);
            }
          }
        }
      }
    }
    // 1e999 parses to Infinity: refused, never clamped into a number.
    payloads++;
    expect(() => parseUsagePayload(JSON.parse('{"five_hour":{"utilization":1e999}}'))).toThrow(PayloadError);
    expect(failures.slice(start)).toEqual([]);
  });
});

async function freshPool(util5: number[]): Promise<TestPool> {
  return makePool(
    fake,
    util5.map((u, i) => ({ name: `a${i}`, util5Pct: u, util7Pct: 5 })),
    { PATH: pathWith(standInClaudeDir()), CCP_DAEMON_AUTOSTART: "0", NO_COLOR: "1" },
  );
}

async function checkCommands(pool: TestPool, label: string, argsList: string[][]): Promise<void> {
  for (const args of argsList) {
    const r = await runCli(args, { env: pool.vars, timeoutMs: 60_000 });
    commands++;
    const where = `${label} / ccp ${args.join(" ")}`;
    if (/RangeError|^\s+at .+:\d+:\d+\)?$|Unexpected error/m.test(r.stderr)) {
      crashes++;
      failures.push(`${where}: ${r.stderr.slice(0, 300)}`);
    } else if (r.code !== 0) failures.push(`${where}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
    // JSON carries the parser's note ("… 1e+308 counted as 100"); the views for people must not.
    if (!args.includes("--json") && /Infinity|e\+\d{2,}|-\d+%/.test(r.stdout + r.stderr))
      failures.push(`${where}: absurd value shown`);
  }
}

const VIEWS = [
  ["status", "--live", "--plain"],
  ["status", "--json"],
  ["status", "--plain"],
  ["select"],
  ["run", "-p", "x"],
];

describe("commands on absurd answers", () => {
  test("huge and negative percents are clamped and the account does not win on them", async () => {
    const pool = await freshPool([20, 20]);
    const [neg, big] = pool.accounts;
    fake.setUsage(neg?.token.accessToken as string, usagePayload(-1e308, -1e308));
    fake.setUsage(big?.token.accessToken as string, usagePayload(1e308, 1e308));
    await checkCommands(pool, "±1e308", VIEWS);
    const status = JSON.parse((await runCli(["status", "--json"], { env: pool.vars })).stdout);
    for (const a of status.accounts) {
      if (!validPct(a.util5Pct) || !validPct(a.util7Pct))
        failures.push(`status --json: ${JSON.stringify(a)}`);
    }
    expect(JSON.stringify(status)).toContain("counted as 0");
    expect(failures.slice(start)).toEqual([]);
  }, 120_000);

  test("reset times past the Date range do not crash any view, old rows included", async () => {
    const pool = await freshPool([20, 30]);
    fake.setUsage(pool.accounts[0]?.token.accessToken as string, {
      five_hour: { utilization: 10, resets_at: 9e15 },
      seven_day: { utilization: 10, resets_at: 1e20 },
    });
    await checkCommands(pool, "resets_at 9e15/1e20", VIEWS);
    // A row written by an older cc-pool, before the parser checked: views must still render.
    const db = new Database(join(pool.vars.CCP_HOME as string, "pool.db"));
    insertSample(db, {
      accountId: pool.accounts[1]?.id as number,
      takenAtMs: Date.now(),
      status: "ok",
      util5Pct: 30,
      reset5AtMs: 1e20,
      util7Pct: 30,
      reset7AtMs: 9e15,
      scoped7Pct: null,
      scoped7ResetAtMs: null,
      scoped7Model: null,
      extraUsageEnabled: null,
      error: null,
    });
    db.close();
    await checkCommands(pool, "stored reset 1e20", [["status", "--plain"], ["status", "--json"], ["select"]]);
    // The dashboard (bare ccp, status on a terminal, --watch) renders the same row.
    const pdb = openPool(loadEnv(pool.vars));
    try {
      const frame = renderDashboard(
        buildStatusModel(pdb, Date.now(), "/work"),
        { selectedId: pool.accounts[1]?.id ?? null, help: false, message: null, sampling: false },
        { width: 140, height: 80, color: false, clock: makeClock("UTC", "en-US") },
      );
      commands++;
      expect(frame).toContain("a1");
    } finally {
      pdb.close();
    }
    expect(failures.slice(start)).toEqual([]);
  }, 120_000);
});

describe("a clock that was ahead", () => {
  const DAY_MS = 24 * 3_600_000;

  test("a sample dated tomorrow does not hide today's answer", async () => {
    const pool = await freshPool([10, 60]);
    const db = new Database(join(pool.vars.CCP_HOME as string, "pool.db"));
    const id = pool.accounts[0]?.id as number;
    insertSample(db, {
      accountId: id,
      takenAtMs: Date.now() + DAY_MS,
      status: "ok",
      util5Pct: 100,
      reset5AtMs: null,
      util7Pct: 100,
      reset7AtMs: null,
      scoped7Pct: null,
      scoped7ResetAtMs: null,
      scoped7Model: null,
      extraUsageEnabled: null,
      error: null,
    });
    db.close();
    // select treats the future sample as stale, samples live, and the live 10% replaces the 100%.
    const r = await runCli(["select"], { env: pool.vars });
    commands++;
    expect(r.stdout.trim()).toBe(pool.accounts[0]?.configDir as string);
    const check = new Database(join(pool.vars.CCP_HOME as string, "pool.db"));
    expect(latestUsage(check).get(id)?.good?.util5Pct).toBe(10);
    check.close();
  }, 120_000);

  test("a heartbeat dated tomorrow is not a live daemon", async () => {
    const pool = await freshPool([10]);
    const db = new Database(join(pool.vars.CCP_HOME as string, "pool.db"));
    const now = Date.now();
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(now + DAY_MS));
    expect(daemonAlive(db, now)).toBe(false);
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(now - 1000));
    expect(daemonAlive(db, now)).toBe(true);
    // With the future heartbeat, select still samples (the fake sees a usage request).
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(now + DAY_MS));
    db.close();
    const before = fake.requests.filter((q) => q.path.endsWith("/usage")).length;
    const r = await runCli(["select"], { env: pool.vars });
    commands++;
    expect(r.code).toBe(0);
    expect(fake.requests.filter((q) => q.path.endsWith("/usage")).length).toBeGreaterThan(before);
  }, 120_000);

  test("samples dated tomorrow do not stop a (re)started daemon from polling", async () => {
    const pool = await freshPool([10, 20]);
    const db = new Database(join(pool.vars.CCP_HOME as string, "pool.db"));
    for (const account of pool.accounts) {
      insertSample(db, {
        accountId: account.id,
        takenAtMs: Date.now() + DAY_MS,
        status: "ok",
        util5Pct: 50,
        reset5AtMs: null,
        util7Pct: 50,
        reset7AtMs: null,
        scoped7Pct: null,
        scoped7ResetAtMs: null,
        scoped7Model: null,
        extraUsageEnabled: null,
        error: null,
      });
    }
    db.close();
    const before = fake.requests.filter((q) => q.path.endsWith("/usage")).length;
    startDaemon(pool.vars);
    commands++;
    // Bounded: a daemon that waits for "tomorrow" fails here instead of hanging the suite.
    const polled = await waitFor(
      "a usage poll",
      () => fake.requests.filter((q) => q.path.endsWith("/usage")).length > before,
      30_000,
    ).catch(() => false);
    await reapAll();
    expect(polled).toBe(true);
  }, 120_000);
});
