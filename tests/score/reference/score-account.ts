// biome-ignore-all lint/complexity/useMathMinMax: kept exactly as src/score/score-account.ts was (comparisons instead of calls).
// The score as it was before it was rewritten for the interpreter (inlined windows, terms and
// pick), kept unchanged as the oracle tests/score/oracle.test.ts compares the live code against.
// Do not edit: a difference between the two is a bug in src/score.
import { burnRate5h } from "../../../src/score/burn-rate.ts";
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
} from "../../../src/score/constants.ts";
import type {
  AccountState,
  ScopedWeekly,
  ScoredAccount,
  ScoreTerm,
  StaleReason,
  TermKey,
  WindowKey,
} from "../../../src/score/types.ts";

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

function staleReasonOf(account: AccountState, nowMs: number): StaleReason | null {
  if (account.latest === null) return "never-sampled";
  if (account.refreshFailed) return "refresh-failed";
  if (nowMs - account.latest.takenAtMs > STALE_AFTER_MS) return "old-sample";
  return null;
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

/** Scores one account at `nowMs`. Pure: the input is not touched and nothing else is read. */
export function scoreAccount(account: AccountState, nowMs: number): ScoredAccount {
  const latest = account.latest;
  const sampled = latest !== null;
  const w5 = viewWindow(
    latest === null ? null : latest.util5Pct,
    latest === null ? null : latest.reset5AtMs,
    WINDOW_5H_MS,
    sampled,
    nowMs,
  );
  const w7 = viewWindow(
    latest === null ? null : latest.util7Pct,
    latest === null ? null : latest.reset7AtMs,
    WINDOW_7D_MS,
    sampled,
    nowMs,
  );
  // Every per-model bucket binds: the one with the least headroom now is the one that counts.
  let fold: BucketFold | null = null;
  if (latest !== null) {
    if (latest.scoped7) fold = foldBucket(fold, latest.scoped7, sampled, nowMs);
    const buckets = latest.scoped7Buckets;
    if (buckets)
      for (let i = 0; i < buckets.length; i++)
        fold = foldBucket(fold, buckets[i] as ScopedWeekly, sampled, nowMs);
  }
  const ws = fold === null ? null : fold.worstView;

  const eff5 = w5.eff;
  const raw5 = w5.raw;
  // The 7d figures come from whichever window binds: the all-model one or a model's own.
  const bind7 = fold !== null && fold.minEff.eff < w7.eff ? fold.minEff : w7;
  const eff7 = bind7.eff;
  const raw7 = ws !== null && ws.raw < w7.raw ? ws.raw : w7.raw;

  const exhaustedWindows: WindowKey[] = [];
  // When every exhausted window has reset: the latest of their resets, null when one is unknown.
  let untilMs: number | null = Number.NEGATIVE_INFINITY;
  if (w5.exhausted) {
    exhaustedWindows.push("5h");
    untilMs = w5.resetAtMs === null ? null : Math.max(untilMs, w5.resetAtMs);
  }
  if (w7.exhausted) {
    exhaustedWindows.push("7d");
    untilMs = w7.resetAtMs === null || untilMs === null ? null : Math.max(untilMs, w7.resetAtMs);
  }
  if (fold !== null && fold.exhaustedFirst !== null) {
    exhaustedWindows.push("7d-scoped");
    const b = fold.exhaustedUntilMs;
    untilMs = b === null || untilMs === null ? null : Math.max(untilMs, b);
  }
  const exhausted = exhaustedWindows.length > 0;
  const exhaustedUntilMs = exhausted ? untilMs : null;

  const staleReason = staleReasonOf(account, nowMs);
  const sessions = account.activeSessions > 0 ? account.activeSessions : 0;
  const reserved = (account.reservedSessions ?? 0) > 0 ? (account.reservedSessions as number) : 0;
  const burn5PctPerHour = account.burn5PctPerHour ?? burnRate5h(account.history, nowMs);

  // In TERM_KEYS order, summed in that order so the breakdown adds up to the score bit for bit.
  const values = [
    // Headroom as used now, and apart from it the credit for a reset that is near.
    WEIGHT_5H * (100 - w5.util) + 0,
    WEIGHT_5H * (eff5 - (100 - w5.util)) + 0,
    WEIGHT_7D * (100 - bind7.util) + 0,
    WEIGHT_7D * (eff7 - (100 - bind7.util)) + 0,
    -SESSION_PENALTY_PTS * (sessions + reserved) + 0,
    account.rateLimited ? -RATE_LIMITED_PENALTY_PTS : 0,
    account.needsLogin ? -NEEDS_LOGIN_PENALTY_PTS : 0,
    staleReason === null ? 0 : -STALE_PENALTY_PTS,
    -barrierPts(raw5) + 0,
    -barrierPts(raw7) + 0,
    -runwayPenaltyPts(raw5, burn5PctPerHour) + 0,
  ];
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  const score = sum + 0;

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
    sampledAtMs: latest === null ? null : latest.takenAtMs,
    util5Pct: w5.util,
    util7Pct: w7.util,
    scoped7:
      fold === null
        ? null
        : { pct: fold.worst.pct, resetAtMs: fold.worst.resetAtMs, model: fold.worst.model },
    scoped7Binds: ws !== null && (ws.raw < w7.raw || (ws.raw === w7.raw && ws.eff < w7.eff)),
    reset5AtMs: w5.resetAtMs,
    reset7AtMs: w7.resetAtMs,
    frac5: w5.frac,
    frac7: w7.frac,
    eff5,
    eff7,
    raw5,
    raw7,
    burn5PctPerHour,
    runwayHours: burn5PctPerHour > 0 ? (raw5 > 0 ? raw5 : 0) / burn5PctPerHour : null,
    termValues: values,
  };
}

/** Rounds a score to one decimal for display only; ranking always uses the exact float. */
export function roundScore(score: number): number {
  // The tiny nudge keeps values such as 34.85, stored as 34.8499…, rounding the way they read.
  const rounded = Math.round(Math.abs(score) * 10 + 1e-9) / 10;
  return plain(score < 0 ? -rounded : rounded);
}
