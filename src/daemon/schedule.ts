// The daemon's polling schedule, as pure functions: the clock and the random number arrive as
// arguments, so every cadence (sweeps, jitter, spacing, 429 backoff, Retry-After, needs-login,
// outage probing) is table-tested on a fake clock. The loop in run.ts only carries it out.

export const DEFAULT_POLL_INTERVAL_MS = 180_000;
export const POLL_JITTER_MS = 30_000;
export const ACCOUNT_SPACING_MS = 2_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const BACKOFF_STEPS_MS: readonly number[] = [3, 6, 12, 24, 30].map((m) => m * 60_000);
export const RETRY_AFTER_CAP_MS = 30 * 60_000;
export const NEEDS_LOGIN_POLL_MS = 15 * 60_000;
export const OUTAGE_PROBE_MS = 20_000;
export const AUTH_FAILURES_FOR_LOGIN = 3;

export interface ScheduleConfig {
  intervalMs: number;
  jitterMs: number;
  spacingMs: number;
  backoffStepsMs: readonly number[];
  retryAfterCapMs: number;
  needsLoginPollMs: number;
  outageProbeMs: number;
  requestTimeoutMs: number;
  authFailuresForLogin: number;
}

/**
 * The schedule for a poll interval (CCP_POLL_INTERVAL). Every cadence scales with the interval, so
 * `2s` runs the whole schedule 90 times faster; Retry-After (the server's word) and the request
 * timeout do not scale.
 */
export function scheduleConfig(pollIntervalMs: number = DEFAULT_POLL_INTERVAL_MS): ScheduleConfig {
  const f = pollIntervalMs / DEFAULT_POLL_INTERVAL_MS;
  return {
    intervalMs: pollIntervalMs,
    jitterMs: Math.round(POLL_JITTER_MS * f),
    spacingMs: Math.round(ACCOUNT_SPACING_MS * f),
    backoffStepsMs: BACKOFF_STEPS_MS.map((ms) => Math.round(ms * f)),
    retryAfterCapMs: RETRY_AFTER_CAP_MS,
    needsLoginPollMs: Math.round(NEEDS_LOGIN_POLL_MS * f),
    outageProbeMs: Math.round(OUTAGE_PROBE_MS * f),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    authFailuresForLogin: AUTH_FAILURES_FOR_LOGIN,
  };
}

export interface AccountSchedule {
  id: number;
  /** 429s in a row; 0 once an answer was not a 429. */
  backoffStep: number;
  /** Skipped by sweeps until then (429 backoff or the needs-login cadence); 0 when free. */
  notBeforeMs: number;
  /** Polls in a row whose token was rejected even after the 401 ladder. */
  authFailures: number;
  needsLogin: boolean;
}

export interface PoolSchedule {
  accounts: readonly AccountSchedule[];
  /** Accounts still to poll in the current sweep, in order. */
  queue: readonly number[];
  nextSweepAtMs: number;
  /** Pool-wide pause from a Retry-After. */
  pausedUntilMs: number;
  lastRequestAtMs: number | null;
  outage: boolean;
  nextProbeAtMs: number;
  lastProbeId: number | null;
  /** Polls answered or failed in the current sweep, and how many of them were network failures. */
  sweepPolls: number;
  sweepNetworkFailures: number;
}

/** How a poll ended, after the 401 ladder. */
export type PollOutcome =
  | { kind: "ok" }
  | { kind: "rate-limited"; retryAfterMs: number | null }
  | { kind: "unauthorized" }
  | { kind: "no-credential" }
  | { kind: "network" }
  | { kind: "error" };

export type ScheduleAction =
  | { kind: "poll"; accountId: number; probe: boolean }
  | { kind: "wait"; untilMs: number };

export function freeAccount(id: number): AccountSchedule {
  return { id, backoffStep: 0, notBeforeMs: 0, authFailures: 0, needsLogin: false };
}

/** A schedule whose first sweep starts at `firstSweepAtMs` (now, for a fresh daemon). */
export function initialSchedule(
  accounts: readonly AccountSchedule[],
  firstSweepAtMs: number,
  pausedUntilMs = 0,
): PoolSchedule {
  return {
    accounts: [...accounts].sort((a, b) => a.id - b.id),
    queue: [],
    nextSweepAtMs: firstSweepAtMs,
    pausedUntilMs,
    lastRequestAtMs: null,
    outage: false,
    nextProbeAtMs: 0,
    lastProbeId: null,
    sweepPolls: 0,
    sweepNetworkFailures: 0,
  };
}

/** Follows the pool's membership: new accounts start free, removed ones leave the queue. */
export function syncAccounts(state: PoolSchedule, ids: readonly number[]): PoolSchedule {
  const wanted = new Set(ids);
  const known = new Set(state.accounts.map((a) => a.id));
  if (ids.length === known.size && ids.every((id) => known.has(id))) return state;
  const kept = state.accounts.filter((a) => wanted.has(a.id));
  const added = ids.filter((id) => !known.has(id)).map(freeAccount);
  return {
    ...state,
    accounts: [...kept, ...added].sort((a, b) => a.id - b.id),
    queue: state.queue.filter((id) => wanted.has(id)),
  };
}

export function backoffDelayMs(cfg: ScheduleConfig, step: number): number {
  const steps = cfg.backoffStepsMs;
  return steps[Math.min(Math.max(step, 0), steps.length - 1)] as number;
}

function eligible(state: PoolSchedule, nowMs: number, except?: number): number[] {
  return state.accounts.filter((a) => a.notBeforeMs <= nowMs && a.id !== except).map((a) => a.id);
}

function nextSweepFrom(cfg: ScheduleConfig, nowMs: number, random: number): number {
  return nowMs + cfg.intervalMs + Math.floor(clamp01(random) * cfg.jitterMs);
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 0.999_999) : 0;
}

/**
 * What to do at `nowMs`: poll an account (it leaves the queue) or wait until a time. Starts a
 * sweep when one is due; `random` in [0, 1) picks the jitter of the sweep after it.
 */
export function nextAction(
  cfg: ScheduleConfig,
  state: PoolSchedule,
  nowMs: number,
  random: number,
): { state: PoolSchedule; action: ScheduleAction } {
  if (state.outage) {
    if (state.accounts.length === 0 || nowMs < state.nextProbeAtMs) {
      const untilMs = state.accounts.length === 0 ? nowMs + cfg.outageProbeMs : state.nextProbeAtMs;
      return { state, action: { kind: "wait", untilMs } };
    }
    const probe = pickProbe(state, nowMs);
    return {
      state: { ...state, lastProbeId: probe, nextProbeAtMs: nowMs + cfg.outageProbeMs },
      action: { kind: "poll", accountId: probe, probe: true },
    };
  }
  let s = state;
  if (s.queue.length === 0) {
    const startAtMs = Math.max(s.nextSweepAtMs, s.pausedUntilMs);
    if (nowMs < startAtMs) return { state: s, action: { kind: "wait", untilMs: startAtMs } };
    s = {
      ...s,
      queue: eligible(s, nowMs),
      nextSweepAtMs: nextSweepFrom(cfg, nowMs, random),
      sweepPolls: 0,
      sweepNetworkFailures: 0,
    };
    if (s.queue.length === 0) return { state: s, action: { kind: "wait", untilMs: s.nextSweepAtMs } };
  }
  const gateMs = Math.max(
    s.pausedUntilMs,
    s.lastRequestAtMs === null ? Number.NEGATIVE_INFINITY : s.lastRequestAtMs + cfg.spacingMs,
  );
  if (nowMs < gateMs) return { state: s, action: { kind: "wait", untilMs: gateMs } };
  const [head, ...rest] = s.queue as [number, ...number[]];
  return { state: { ...s, queue: rest }, action: { kind: "poll", accountId: head, probe: false } };
}

// Round robin over the accounts, preferring ones that are not backed off.
function pickProbe(state: PoolSchedule, nowMs: number): number {
  const free = state.accounts.filter((a) => a.notBeforeMs <= nowMs);
  const pool = free.length > 0 ? free : state.accounts;
  const after = pool.find((a) => state.lastProbeId === null || a.id > state.lastProbeId);
  return (after ?? (pool[0] as AccountSchedule)).id;
}

function patchAccount(
  state: PoolSchedule,
  id: number,
  patch: (a: AccountSchedule) => AccountSchedule,
): PoolSchedule {
  return { ...state, accounts: state.accounts.map((a) => (a.id === id ? patch(a) : a)) };
}

/** Marks an account as needing a new login: from now on it is polled at most every needs-login period. */
export function markNeedsLogin(
  cfg: ScheduleConfig,
  state: PoolSchedule,
  id: number,
  nowMs: number,
): PoolSchedule {
  return patchAccount(state, id, (a) => ({
    ...a,
    needsLogin: true,
    backoffStep: 0,
    notBeforeMs: Math.max(a.notBeforeMs, nowMs + cfg.needsLoginPollMs),
  }));
}

/** Folds the outcome of polling `accountId` at `nowMs` into the schedule. */
export function applyOutcome(
  cfg: ScheduleConfig,
  state: PoolSchedule,
  accountId: number,
  outcome: PollOutcome,
  nowMs: number,
  random: number,
): PoolSchedule {
  let s: PoolSchedule = { ...state, lastRequestAtMs: nowMs };
  const network = outcome.kind === "network";
  if (s.outage) {
    if (network) return s;
    // The first answer ends the outage: a full sweep right away (the probed account just answered).
    s = { ...s, outage: false, lastProbeId: null, sweepPolls: 1, sweepNetworkFailures: 0 };
    s =
      outcome.kind === "rate-limited"
        ? { ...s, queue: [], nextSweepAtMs: nowMs }
        : { ...s, queue: eligible(s, nowMs, accountId), nextSweepAtMs: nextSweepFrom(cfg, nowMs, random) };
  } else {
    s = {
      ...s,
      sweepPolls: s.sweepPolls + 1,
      sweepNetworkFailures: s.sweepNetworkFailures + (network ? 1 : 0),
    };
  }
  switch (outcome.kind) {
    case "ok":
      s = patchAccount(s, accountId, (a) => ({ ...freeAccount(a.id) }));
      break;
    case "rate-limited": {
      const account = s.accounts.find((a) => a.id === accountId);
      const delayMs = backoffDelayMs(cfg, account?.backoffStep ?? 0);
      s = patchAccount(s, accountId, (a) => ({
        ...a,
        backoffStep: a.backoffStep + 1,
        notBeforeMs: nowMs + delayMs,
      }));
      // The limit is shared: the rest of this sweep waits for the next one.
      const pauseMs = Math.min(cfg.retryAfterCapMs, Math.max(0, outcome.retryAfterMs ?? 0));
      s = { ...s, queue: [], pausedUntilMs: Math.max(s.pausedUntilMs, nowMs + pauseMs) };
      break;
    }
    case "unauthorized": {
      const account = s.accounts.find((a) => a.id === accountId);
      const failures = (account?.authFailures ?? 0) + 1;
      s = patchAccount(s, accountId, (a) => ({ ...a, authFailures: failures, backoffStep: 0 }));
      if (failures >= cfg.authFailuresForLogin || account?.needsLogin)
        s = markNeedsLogin(cfg, s, accountId, nowMs);
      break;
    }
    case "no-credential":
      s = markNeedsLogin(cfg, s, accountId, nowMs);
      break;
    case "network":
    case "error":
      break;
  }
  if (!s.outage && s.queue.length === 0 && s.sweepPolls > 0 && s.sweepNetworkFailures === s.sweepPolls) {
    s = { ...s, outage: true, nextProbeAtMs: nowMs + cfg.outageProbeMs, lastProbeId: accountId };
  }
  return s;
}
