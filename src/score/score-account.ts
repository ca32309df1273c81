import { burnRate5h } from "./burn-rate.ts";
import {
  BARRIER_PCT,
  EXHAUSTED_UTIL_PCT,
  NEEDS_LOGIN_PENALTY_PTS,
  RATE_LIMITED_PENALTY_PTS,
  RESET_CREDIT_HORIZON_MS,
  RUNWAY_HORIZON_HOURS,
  RUNWAY_PENALTY_MAX_PTS,
  SESSION_PENALTY_PTS,
  STALE_AFTER_MS,
  STALE_PENALTY_PTS,
  WEIGHT_5H,
  WEIGHT_7D,
  WINDOW_5H_MS,
  WINDOW_7D_MS,
} from "./constants.ts";
import type {
  AccountState,
  ScopedWeekly,
  ScoredAccount,
  ScoreTerm,
  StaleReason,
  TermKey,
  WindowKey,
} from "./types.ts";

interface WindowView {
  util: number;
  frac: number;
  eff: number;
  raw: number;
  exhausted: boolean;
  resetAtMs: number | null;
}

// The score runs in the interpreter (a command lives for milliseconds; see scripts/build.ts), where
// every call, Math.min/max included, costs far more than the arithmetic: the helpers below use
// comparisons instead, and `x + 0` (which turns -0 into 0, like plain) is written inline.

function clamp(value: number, low: number, high: number): number {
  return value <= low ? low : value >= high ? high : value;
}

/** Turns -0 into 0 so breakdowns compare and print cleanly. */
function plain(value: number): number {
  return value === 0 ? 0 : value;
}

function viewWindow(
  utilPct: number | null,
  resetAtMs: number | null,
  windowMs: number,
  sampled: boolean,
  nowMs: number,
): WindowView {
  const util = utilPct ?? 0;
  const resetPassed = resetAtMs !== null && nowMs >= resetAtMs;
  const horizonMs = windowMs < RESET_CREDIT_HORIZON_MS ? windowMs : RESET_CREDIT_HORIZON_MS;
  const left = resetAtMs === null ? 1 : (resetAtMs - nowMs) / horizonMs;
  const frac = left <= 0 ? 0 : left >= 1 ? 1 : left;
  return {
    // Past its reset the sampled window is over; the new one starts empty.
    util: resetPassed ? 0 : util,
    frac,
    eff: 100 - frac * util + 0,
    raw: resetPassed ? 100 : 100 - util + 0,
    exhausted: sampled && utilPct !== null && util >= EXHAUSTED_UTIL_PCT && !resetPassed,
    resetAtMs,
  };
}

/** Points a window pays for having less than `BARRIER_PCT` raw headroom left. */
export function barrierPts(rawPct: number): number {
  return rawPct < BARRIER_PCT ? BARRIER_PCT - (rawPct > 0 ? rawPct : 0) : 0;
}

/** Points lost for a 5h window that would run dry within `RUNWAY_HORIZON_HOURS` at this burn. */
export function runwayPenaltyPts(raw5Pct: number, burn5PctPerHour: number): number {
  if (burn5PctPerHour <= 0) return 0;
  const hours = raw5Pct / burn5PctPerHour;
  return RUNWAY_PENALTY_MAX_PTS * clamp(1 - hours / RUNWAY_HORIZON_HOURS, 0, 1);
}

const TERM_LABELS: Record<TermKey, string> = {
  headroom5h: "5h headroom",
  resetCredit5h: "5h reset credit",
  headroom7d: "7d headroom",
  resetCredit7d: "7d reset credit",
  sessions: "active sessions",
  rateLimited: "rate-limited",
  needsLogin: "needs login",
  stale: "stale data",
  barrier5h: "5h low-headroom barrier",
  barrier7d: "7d low-headroom barrier",
  runway: "burn-rate runway",
};

const TERM_KEYS = Object.keys(TERM_LABELS) as TermKey[];

/** The binding per-model bucket and the facts the score needs from all of them, in one pass. */
interface BucketFold {
  /** Least raw headroom (ties: least effective headroom): the bucket that binds. */
  worst: ScopedWeekly;
  worstView: WindowView;
  /** Least effective headroom. */
  minEff: WindowView;
  /** The first exhausted bucket's view, and when the last exhausted one resets (null: unknown). */
  exhaustedFirst: WindowView | null;
  exhaustedUntilMs: number | null;
}

function foldBucket(
  fold: BucketFold | null,
  bucket: ScopedWeekly,
  sampled: boolean,
  nowMs: number,
): BucketFold {
  const view = viewWindow(bucket.pct, bucket.resetAtMs, WINDOW_7D_MS, sampled, nowMs);
  if (fold === null) {
    return {
      worst: bucket,
      worstView: view,
      minEff: view,
      exhaustedFirst: view.exhausted ? view : null,
      exhaustedUntilMs: view.exhausted ? view.resetAtMs : null,
    };
  }
  const w = fold.worstView;
  if (view.raw < w.raw || (view.raw === w.raw && view.eff < w.eff)) {
    fold.worst = bucket;
    fold.worstView = view;
  }
  if (view.eff < fold.minEff.eff) fold.minEff = view;
  if (view.exhausted) {
    if (fold.exhaustedFirst === null) {
      fold.exhaustedFirst = view;
      fold.exhaustedUntilMs = view.resetAtMs;
    } else if (fold.exhaustedUntilMs !== null) {
      // Back only when the last spent bucket resets (unknown when any reset time is missing).
      fold.exhaustedUntilMs =
        view.resetAtMs === null ? null : Math.max(fold.exhaustedUntilMs, view.resetAtMs);
    }
  }
  return fold;
}

/**
 * The terms of an account's score, labelled, in the order they are summed (they add up to the
 * score bit for bit). Built when asked for (an explanation, the dashboard): a pick needs the sum.
 */
export function scoreTerms(account: Pick<ScoredAccount, "termValues">): ScoreTerm[] {
  const terms: ScoreTerm[] = [];
  for (let i = 0; i < TERM_KEYS.length; i++) {
    const key = TERM_KEYS[i] as TermKey;
    terms.push({ key, label: TERM_LABELS[key], value: account.termValues[i] as number });
  }
  return terms;
}

/** Reset credit horizon of each window: the credit accrues only within this long of its reset. */
const HORIZON_5H_MS = WINDOW_5H_MS < RESET_CREDIT_HORIZON_MS ? WINDOW_5H_MS : RESET_CREDIT_HORIZON_MS;
const HORIZON_7D_MS = WINDOW_7D_MS < RESET_CREDIT_HORIZON_MS ? WINDOW_7D_MS : RESET_CREDIT_HORIZON_MS;

/**
 * Shared by every account with nothing exhausted (most of them), so none allocates a list; frozen,
 * since every account holds it (no caller changes a score's lists).
 */
const NONE_EXHAUSTED = Object.freeze([]) as unknown as WindowKey[];

/**
 * Scores one account at `nowMs`. Pure: the input is not touched and nothing else is read.
 *
 * `ccp select` runs this for every account of the pool in the interpreter, where a call or an
 * object costs more than all of the arithmetic here: the 5h and 7d windows are read in place (the
 * same formulas as `viewWindow`, which stays for the rarer per-model buckets), and so are the
 * barrier, the runway and the stale reason (the same as `barrierPts`, `runwayPenaltyPts`).
 * tests/score/reference/ keeps the plain version as the oracle this one must match bit for bit.
 */
export function scoreAccount(account: AccountState, nowMs: number): ScoredAccount {
  const latest = account.latest;
  // Never sampled: both windows read as empty (0 % used, all headroom, no reset known).
  let util5Pct = 0;
  let frac5 = 1;
  let eff5 = 100;
  let raw5 = 100;
  let exhausted5 = false;
  let reset5AtMs: number | null = null;
  let util7Pct = 0;
  let frac7 = 1;
  let eff7w = 100;
  let raw7w = 100;
  let exhausted7 = false;
  let reset7AtMs: number | null = null;
  let fold: BucketFold | null = null;
  let sampledAtMs: number | null = null;
  let staleReason: StaleReason | null = "never-sampled";
  if (latest !== null) {
    // viewWindow, in place: past its reset the sampled window is over and the new one starts
    // empty (and its reset credit, frac, is 0 then); a window is exhausted only before its reset.
    const used5 = latest.util5Pct;
    const u5 = used5 ?? 0;
    reset5AtMs = latest.reset5AtMs;
    let passed5 = false;
    if (reset5AtMs !== null) {
      const left5 = (reset5AtMs - nowMs) / HORIZON_5H_MS;
      frac5 = left5 <= 0 ? 0 : left5 >= 1 ? 1 : left5;
      passed5 = nowMs >= reset5AtMs;
    }
    eff5 = 100 - frac5 * u5 + 0;
    if (!passed5) {
      util5Pct = u5;
      raw5 = 100 - u5 + 0;
      exhausted5 = used5 !== null && u5 >= EXHAUSTED_UTIL_PCT;
    }

    const used7 = latest.util7Pct;
    const u7 = used7 ?? 0;
    reset7AtMs = latest.reset7AtMs;
    let passed7 = false;
    if (reset7AtMs !== null) {
      const left7 = (reset7AtMs - nowMs) / HORIZON_7D_MS;
      frac7 = left7 <= 0 ? 0 : left7 >= 1 ? 1 : left7;
      passed7 = nowMs >= reset7AtMs;
    }
    eff7w = 100 - frac7 * u7 + 0;
    if (!passed7) {
      util7Pct = u7;
      raw7w = 100 - u7 + 0;
      exhausted7 = used7 !== null && u7 >= EXHAUSTED_UTIL_PCT;
    }

    // Every per-model bucket binds: the one with the least headroom now is the one that counts.
    if (latest.scoped7) fold = foldBucket(fold, latest.scoped7, true, nowMs);
    const buckets = latest.scoped7Buckets;
    if (buckets)
      for (let i = 0; i < buckets.length; i++)
        fold = foldBucket(fold, buckets[i] as ScopedWeekly, true, nowMs);

    sampledAtMs = latest.takenAtMs;
    staleReason = account.refreshFailed
      ? "refresh-failed"
      : nowMs - sampledAtMs > STALE_AFTER_MS
        ? "old-sample"
        : null;
  }

  // The 7d figures come from whichever window binds: the all-model one or a model's own.
  let util7b = util7Pct;
  let eff7 = eff7w;
  let raw7 = raw7w;
  let scoped7: ScopedWeekly | null = null;
  let scoped7Binds = false;
  let exhaustedWindows = NONE_EXHAUSTED;
  let exhaustedUntilMs: number | null = null;
  if (fold !== null) {
    if (fold.minEff.eff < eff7w) {
      util7b = fold.minEff.util;
      eff7 = fold.minEff.eff;
    }
    const ws = fold.worstView;
    if (ws.raw < raw7w) raw7 = ws.raw;
    scoped7Binds = ws.raw < raw7w || (ws.raw === raw7w && ws.eff < eff7w);
    scoped7 = { pct: fold.worst.pct, resetAtMs: fold.worst.resetAtMs, model: fold.worst.model };
  }
  const exhausted = exhausted5 || exhausted7 || (fold !== null && fold.exhaustedFirst !== null);
  if (exhausted) {
    exhaustedWindows = [];
    // When every exhausted window has reset: the latest of their resets, null when one is unknown.
    let untilMs: number | null = Number.NEGATIVE_INFINITY;
    if (exhausted5) {
      exhaustedWindows.push("5h");
      untilMs = reset5AtMs === null ? null : Math.max(untilMs, reset5AtMs);
    }
    if (exhausted7) {
      exhaustedWindows.push("7d");
      untilMs = reset7AtMs === null || untilMs === null ? null : Math.max(untilMs, reset7AtMs);
    }
    if (fold !== null && fold.exhaustedFirst !== null) {
      exhaustedWindows.push("7d-scoped");
      const b = fold.exhaustedUntilMs;
      untilMs = b === null || untilMs === null ? null : Math.max(untilMs, b);
    }
    exhaustedUntilMs = untilMs;
  }

  const active = account.activeSessions;
  const sessions = active > 0 ? active : 0;
  const reservedIn = account.reservedSessions;
  // As `(reservedSessions ?? 0) > 0`: undefined > 0 is false too.
  const reserved = (reservedIn as number) > 0 ? (reservedIn as number) : 0;
  const burn5PctPerHour = account.burn5PctPerHour ?? burnRate5h(account.history, nowMs);
  // runwayPenaltyPts and barrierPts, in place; `-x + 0` as there, so no term is -0.
  let runway = 0;
  if (!(burn5PctPerHour <= 0)) {
    // (A NaN burn rate gets here too, as in runwayPenaltyPts.)
    const runwayLeft = 1 - raw5 / burn5PctPerHour / RUNWAY_HORIZON_HOURS;
    runway = -(RUNWAY_PENALTY_MAX_PTS * (runwayLeft <= 0 ? 0 : runwayLeft >= 1 ? 1 : runwayLeft)) + 0;
  }
  const barrier5h = raw5 < BARRIER_PCT ? -(BARRIER_PCT - (raw5 > 0 ? raw5 : 0)) + 0 : 0;
  const barrier7d = raw7 < BARRIER_PCT ? -(BARRIER_PCT - (raw7 > 0 ? raw7 : 0)) + 0 : 0;

  // In TERM_KEYS order, summed in that order so the breakdown adds up to the score bit for bit.
  // Headroom as used now, and apart from it the credit for a reset that is near.
  const used5Left = 100 - util5Pct;
  const used7Left = 100 - util7b;
  const headroom5h = WEIGHT_5H * used5Left + 0;
  const resetCredit5h = WEIGHT_5H * (eff5 - used5Left) + 0;
  const headroom7d = WEIGHT_7D * used7Left + 0;
  const resetCredit7d = WEIGHT_7D * (eff7 - used7Left) + 0;
  const sessionsPts = -SESSION_PENALTY_PTS * (sessions + reserved) + 0;
  const rateLimitedPts = account.rateLimited ? -RATE_LIMITED_PENALTY_PTS : 0;
  const needsLoginPts = account.needsLogin ? -NEEDS_LOGIN_PENALTY_PTS : 0;
  const stalePts = staleReason === null ? 0 : -STALE_PENALTY_PTS;
  // The sum starts at the first term, never -0 (it ends in `+ 0`), so the sum is never -0 either:
  // the same bits as adding from 0 and ending in `+ 0`.
  const score =
    headroom5h +
    resetCredit5h +
    headroom7d +
    resetCredit7d +
    sessionsPts +
    rateLimitedPts +
    needsLoginPts +
    stalePts +
    barrier5h +
    barrier7d +
    runway;

  return {
    id: account.id,
    name: account.name,
    score,
    available: !exhausted && !account.needsLogin,
    exhausted,
    exhaustedWindows,
    exhaustedUntilMs,
    stale: staleReason !== null,
    staleReason,
    rateLimited: account.rateLimited,
    needsLogin: account.needsLogin,
    activeSessions: sessions,
    reservedSessions: reserved,
    sampledAtMs,
    util5Pct,
    util7Pct,
    scoped7,
    scoped7Binds,
    reset5AtMs,
    reset7AtMs,
    frac5,
    frac7,
    eff5,
    eff7,
    raw5,
    raw7,
    burn5PctPerHour,
    runwayHours: burn5PctPerHour > 0 ? (raw5 > 0 ? raw5 : 0) / burn5PctPerHour : null,
    termValues: [
      headroom5h,
      resetCredit5h,
      headroom7d,
      resetCredit7d,
      sessionsPts,
      rateLimitedPts,
      needsLoginPts,
      stalePts,
      barrier5h,
      barrier7d,
      runway,
    ],
  };
}

/** Rounds a score to one decimal for display only; ranking always uses the exact float. */
export function roundScore(score: number): number {
  // The tiny nudge keeps values such as 34.85, stored as 34.8499…, rounding the way they read.
  const rounded = Math.round(Math.abs(score) * 10 + 1e-9) / 10;
  return plain(score < 0 ? -rounded : rounded);
}
