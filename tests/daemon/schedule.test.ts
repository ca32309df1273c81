import { describe, expect, test } from "bun:test";
import {
  type PollOutcome,
  type PoolSchedule,
  type ScheduleConfig,
  applyOutcome,
  backoffDelayMs,
  freeAccount,
  initialSchedule,
  markNeedsLogin,
  nextAction,
  scheduleConfig,
  syncAccounts,
} from "../../src/daemon/schedule.ts";

const MIN = 60_000;
const cfg = scheduleConfig();

interface Poll {
  id: number;
  atMs: number;
  probe: boolean;
}

/** Runs the schedule on a fake clock until `untilMs`, answering each poll with `respond`. */
function simulate(
  start: PoolSchedule,
  untilMs: number,
  respond: (id: number, atMs: number) => PollOutcome,
  options: { config?: ScheduleConfig; random?: () => number; fromMs?: number } = {},
): { polls: Poll[]; state: PoolSchedule } {
  const c = options.config ?? cfg;
  const random = options.random ?? (() => 0);
  let state = start;
  let nowMs = options.fromMs ?? 0;
  const polls: Poll[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const next = nextAction(c, state, nowMs, random());
    state = next.state;
    if (next.action.kind === "wait") {
      expect(next.action.untilMs).toBeGreaterThan(nowMs);
      if (next.action.untilMs > untilMs) return { polls, state };
      nowMs = next.action.untilMs;
      continue;
    }
    const { accountId, probe } = next.action;
    polls.push({ id: accountId, atMs: nowMs, probe });
    state = applyOutcome(c, state, accountId, respond(accountId, nowMs), nowMs, random());
  }
  throw new Error("simulation did not settle");
}

const pool = (n: number): PoolSchedule =>
  initialSchedule(
    Array.from({ length: n }, (_, i) => freeAccount(i + 1)),
    0,
  );
const ok = (): PollOutcome => ({ kind: "ok" });

describe("scheduleConfig", () => {
  test("defaults follow the design", () => {
    expect(cfg).toEqual({
      intervalMs: 180_000,
      jitterMs: 30_000,
      spacingMs: 2_000,
      backoffStepsMs: [3 * MIN, 6 * MIN, 12 * MIN, 24 * MIN, 30 * MIN],
      retryAfterCapMs: 30 * MIN,
      needsLoginPollMs: 15 * MIN,
      outageProbeMs: 20_000,
      requestTimeoutMs: 10_000,
      authFailuresForLogin: 3,
    });
  });

  test("CCP_POLL_INTERVAL scales every cadence but Retry-After's cap and the timeout", () => {
    const fast = scheduleConfig(2_000);
    expect(fast.jitterMs).toBe(333);
    expect(fast.spacingMs).toBe(22);
    expect(fast.backoffStepsMs).toEqual([2_000, 4_000, 8_000, 16_000, 20_000]);
    expect(fast.needsLoginPollMs).toBe(10_000);
    expect(fast.outageProbeMs).toBe(222);
    expect(fast.retryAfterCapMs).toBe(30 * MIN);
    expect(fast.requestTimeoutMs).toBe(10_000);
  });
});

describe("sweeps", () => {
  test("every account is polled ~2 s apart, then again one interval + jitter after the sweep began", () => {
    const table: Array<{ random: number; secondSweepAtMs: number }> = [
      { random: 0, secondSweepAtMs: 180_000 },
      { random: 0.5, secondSweepAtMs: 195_000 },
      { random: 0.999_999, secondSweepAtMs: 209_999 },
    ];
    for (const row of table) {
      const { polls } = simulate(pool(3), 215_000, ok, { random: () => row.random });
      expect(polls.map((p) => [p.id, p.atMs])).toEqual([
        [1, 0],
        [2, 2_000],
        [3, 4_000],
        [1, row.secondSweepAtMs],
        [2, row.secondSweepAtMs + 2_000],
        [3, row.secondSweepAtMs + 4_000],
      ]);
    }
  });

  test("an empty pool just waits for the next sweep", () => {
    const { polls } = simulate(pool(0), 10 * MIN, ok);
    expect(polls).toEqual([]);
  });

  test("accounts added later join the next sweep; removed ones leave the queue", () => {
    let state = pool(2);
    const first = nextAction(cfg, state, 0, 0);
    state = first.state;
    expect(state.queue).toEqual([2]);
    state = syncAccounts(state, [1, 3]);
    expect(state.queue).toEqual([]);
    expect(state.accounts.map((a) => a.id)).toEqual([1, 3]);
    expect(syncAccounts(state, [1, 3])).toBe(state);
  });
});

describe("429", () => {
  test("an account backs off 3, 6, 12, 24, then 30 minutes", () => {
    let state = pool(1);
    const delays: number[] = [];
    let nowMs = 0;
    for (let i = 0; i < 6; i++) {
      state = applyOutcome(cfg, state, 1, { kind: "rate-limited", retryAfterMs: null }, nowMs, 0);
      delays.push(((state.accounts[0]?.notBeforeMs ?? 0) - nowMs) / MIN);
      nowMs += 60 * MIN;
    }
    expect(delays).toEqual([3, 6, 12, 24, 30, 30]);
    expect(backoffDelayMs(cfg, 99)).toBe(30 * MIN);
  });

  test("a rate-limited account is skipped by sweeps until its backoff ends; a clean sample clears it", () => {
    let limited = true;
    const { polls, state } = simulate(pool(2), 40 * MIN, (id) =>
      id === 1 && limited ? { kind: "rate-limited", retryAfterMs: 0 } : ok(),
    );
    const times = polls.filter((p) => p.id === 1).map((p) => p.atMs / MIN);
    // Sweeps every 3 min (random 0); account 1 comes back after 3, then 6, then 12 more minutes.
    expect(times.slice(0, 4)).toEqual([0, 3, 9, 21]);
    expect(state.accounts[0]?.backoffStep).toBeGreaterThanOrEqual(4);
    limited = false;
    const after = simulate(state, 80 * MIN, ok, { fromMs: 40 * MIN });
    expect(after.state.accounts[0]).toEqual(freeAccount(1));
  });

  test("a 429 stops the sweep: the rest of the pool waits for the next one", () => {
    const { polls } = simulate(pool(3), 3 * MIN + 5_000, (id, atMs) =>
      id === 1 && atMs === 0 ? { kind: "rate-limited", retryAfterMs: null } : ok(),
    );
    // Without the stop, 2 and 3 would have been polled at 2 s and 4 s.
    expect(polls.map((p) => [p.id, p.atMs])).toEqual([
      [1, 0],
      [1, 3 * MIN],
      [2, 3 * MIN + 2_000],
      [3, 3 * MIN + 4_000],
    ]);
  });

  test("Retry-After pauses the whole pool, capped at 30 minutes", () => {
    const table = [
      { retryAfterMs: 10 * MIN, resumeMs: 10 * MIN },
      { retryAfterMs: 2 * 3_600_000, resumeMs: 30 * MIN },
      { retryAfterMs: 0, resumeMs: 3 * MIN },
    ];
    for (const row of table) {
      const { polls } = simulate(pool(2), 31 * MIN, (_id, atMs) =>
        atMs === 0 ? { kind: "rate-limited", retryAfterMs: row.retryAfterMs } : ok(),
      );
      const second = polls[1];
      expect(second?.atMs).toBe(row.resumeMs);
      expect(second?.id).toBe(row.resumeMs >= 3 * MIN ? 1 : 2);
    }
  });
});

describe("401 and needs-login", () => {
  test("three rejected polls in a row mark the account; it is then polled at most every 15 minutes", () => {
    const { polls, state } = simulate(pool(1), 60 * MIN, () => ({ kind: "unauthorized" }));
    const times = polls.map((p) => p.atMs / MIN);
    expect(times.slice(0, 3)).toEqual([0, 3, 6]);
    expect(times[3]).toBe(21);
    for (let i = 4; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(15);
    expect(state.accounts[0]?.needsLogin).toBe(true);
  });

  test("two failures then a clean sample clear the count", () => {
    let state = pool(1);
    state = applyOutcome(cfg, state, 1, { kind: "unauthorized" }, 0, 0);
    state = applyOutcome(cfg, state, 1, { kind: "unauthorized" }, MIN, 0);
    expect(state.accounts[0]?.authFailures).toBe(2);
    expect(state.accounts[0]?.needsLogin).toBe(false);
    state = applyOutcome(cfg, state, 1, ok(), 2 * MIN, 0);
    expect(state.accounts[0]).toEqual(freeAccount(1));
  });

  test("no stored login goes straight to the needs-login cadence", () => {
    const state = applyOutcome(cfg, pool(1), 1, { kind: "no-credential" }, 0, 0);
    expect(state.accounts[0]).toMatchObject({ needsLogin: true, notBeforeMs: 15 * MIN });
  });

  test("markNeedsLogin never shortens a longer wait", () => {
    let state = applyOutcome(cfg, pool(1), 1, { kind: "rate-limited", retryAfterMs: null }, 0, 0);
    state = applyOutcome(cfg, state, 1, { kind: "rate-limited", retryAfterMs: null }, 0, 0);
    state = applyOutcome(cfg, state, 1, { kind: "rate-limited", retryAfterMs: null }, 0, 0);
    expect(state.accounts[0]?.notBeforeMs).toBe(12 * MIN);
    expect(markNeedsLogin(cfg, state, 1, 0).accounts[0]?.notBeforeMs).toBe(15 * MIN);
    const later = applyOutcome(cfg, state, 1, { kind: "rate-limited", retryAfterMs: null }, 0, 0);
    expect(markNeedsLogin(cfg, later, 1, 0).accounts[0]?.notBeforeMs).toBe(24 * MIN);
  });
});

describe("outage", () => {
  test("a sweep where every account fails on the network probes one account every 20 s, round robin", () => {
    const { polls, state } = simulate(pool(3), 4_000 + 65_000, () => ({ kind: "network" }));
    expect(state.outage).toBe(true);
    expect(polls.map((p) => [p.id, p.atMs, p.probe])).toEqual([
      [1, 0, false],
      [2, 2_000, false],
      [3, 4_000, false],
      [1, 24_000, true],
      [2, 44_000, true],
      [3, 64_000, true],
    ]);
  });

  test("the first answer ends the outage with a full sweep of the others", () => {
    let networkUp = false;
    const down = simulate(pool(3), 30_000, () => (networkUp ? ok() : { kind: "network" }));
    networkUp = true;
    const { polls, state } = simulate(down.state, 60_000, ok, { fromMs: 30_000 });
    expect(polls.map((p) => [p.id, p.atMs, p.probe])).toEqual([
      [2, 44_000, true],
      [1, 46_000, false],
      [3, 48_000, false],
    ]);
    expect(state.outage).toBe(false);
  });

  test("one answering account means no outage", () => {
    const { state, polls } = simulate(pool(3), 60_000, (id) => (id === 2 ? ok() : { kind: "network" }));
    expect(state.outage).toBe(false);
    expect(polls.every((p) => !p.probe)).toBe(true);
  });

  test("a 429 while probing ends the outage but keeps the backoff and the pause", () => {
    const down = simulate(pool(2), 21_000, () => ({ kind: "network" }));
    expect(down.state.outage).toBe(true);
    const { polls } = simulate(
      down.state,
      5 * MIN,
      (_id, atMs) => (atMs < 30_000 ? { kind: "rate-limited", retryAfterMs: 60_000 } : ok()),
      { fromMs: 21_000 },
    );
    expect(polls[0]).toEqual({ id: 1, atMs: 22_000, probe: true });
    expect(polls[1]?.atMs).toBe(82_000);
    expect(polls[1]?.id).toBe(2);
  });
});
