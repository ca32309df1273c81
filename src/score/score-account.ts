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

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
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
  const horizonMs = Math.min(windowMs, RESET_CREDIT_HORIZON_MS);
  const frac = resetAtMs === null ? 1 : clamp((resetAtMs - nowMs) / horizonMs, 0, 1);
  return {
    // Past its reset the sampled window is over; the new one starts empty.
    util: resetPassed ? 0 : util,
    frac,
    eff: plain(100 - frac * util),
    raw: resetPassed ? 100 : plain(100 - util),
    exhausted: sampled && utilPct !== null && util >= EXHAUSTED_UTIL_PCT && !resetPassed,
    resetAtMs,
  };
}

/** Points a window pays for having less than `BARRIER_PCT` raw headroom left. */
export function barrierPts(rawPct: number): number {
  return rawPct < BARRIER_PCT ? BARRIER_PCT - Math.max(rawPct, 0) : 0;
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

function bucketView(
  bucket: ScopedWeekly,
  sampled: boolean,
  nowMs: number,
): { bucket: ScopedWeekly; view: WindowView } {
  return { bucket, view: viewWindow(bucket.pct, bucket.resetAtMs, WINDOW_7D_MS, sampled, nowMs) };
}

/** Scores one account at `nowMs`. Pure: the input is not touched and nothing else is read. */
export function scoreAccount(account: AccountState, nowMs: number): ScoredAccount {
  const latest = account.latest;
  const sampled = latest !== null;
  const w5 = viewWindow(latest?.util5Pct ?? null, latest?.reset5AtMs ?? null, WINDOW_5H_MS, sampled, nowMs);
  const w7 = viewWindow(latest?.util7Pct ?? null, latest?.reset7AtMs ?? null, WINDOW_7D_MS, sampled, nowMs);
  // Every per-model bucket binds: the one with the least headroom now is the one that counts.
  const bucketViews: Array<{ bucket: ScopedWeekly; view: WindowView }> = [];
  if (latest?.scoped7) bucketViews.push(bucketView(latest.scoped7, sampled, nowMs));
  for (const b of latest?.scoped7Buckets ?? []) bucketViews.push(bucketView(b, sampled, nowMs));
  const worst = bucketViews.reduce<(typeof bucketViews)[number] | null>(
    (acc, bv) =>
      acc === null ||
      bv.view.raw < acc.view.raw ||
      (bv.view.raw === acc.view.raw && bv.view.eff < acc.view.eff)
        ? bv
        : acc,
    null,
  );
  const scoped = worst === null ? null : { ...worst.bucket };
  const ws = worst === null ? null : worst.view;
  const minEffScoped = bucketViews.reduce<WindowView | null>(
    (acc, bv) => (acc === null || bv.view.eff < acc.eff ? bv.view : acc),
    null,
  );

  const eff5 = w5.eff;
  const raw5 = w5.raw;
  // The 7d figures come from whichever window binds: the all-model one or a model's own.
  const bind7 = minEffScoped !== null && minEffScoped.eff < w7.eff ? minEffScoped : w7;
  const eff7 = bind7.eff;
  const raw7 = ws === null ? w7.raw : Math.min(w7.raw, ws.raw);

  const exhaustedViews: Array<[WindowKey, WindowView]> = [];
  if (w5.exhausted) exhaustedViews.push(["5h", w5]);
  if (w7.exhausted) exhaustedViews.push(["7d", w7]);
  const exhaustedBuckets = bucketViews.filter((bv) => bv.view.exhausted);
  if (exhaustedBuckets.length > 0) {
    // Back only when the last spent bucket resets (unknown when any reset time is missing).
    const until = exhaustedBuckets.every((bv) => bv.view.resetAtMs !== null)
      ? Math.max(...exhaustedBuckets.map((bv) => bv.view.resetAtMs as number))
      : null;
    exhaustedViews.push(["7d-scoped", { ...(exhaustedBuckets[0]?.view as WindowView), resetAtMs: until }]);
  }
  const exhausted = exhaustedViews.length > 0;
  let exhaustedUntilMs: number | null = null;
  if (exhausted && exhaustedViews.every(([, v]) => v.resetAtMs !== null)) {
    exhaustedUntilMs = Math.max(...exhaustedViews.map(([, v]) => v.resetAtMs as number));
  }

  const staleReason = staleReasonOf(account, nowMs);
  const sessions = Math.max(0, account.activeSessions);
  const reserved = Math.max(0, account.reservedSessions ?? 0);
  const burn5PctPerHour = account.burn5PctPerHour ?? burnRate5h(account.history, nowMs);

  const values: Record<TermKey, number> = {
    // Headroom as used now, and apart from it the credit for a reset that is near.
    headroom5h: WEIGHT_5H * (100 - w5.util),
    resetCredit5h: WEIGHT_5H * (eff5 - (100 - w5.util)),
    headroom7d: WEIGHT_7D * (100 - bind7.util),
    resetCredit7d: WEIGHT_7D * (eff7 - (100 - bind7.util)),
    sessions: -SESSION_PENALTY_PTS * (sessions + reserved),
    rateLimited: account.rateLimited ? -RATE_LIMITED_PENALTY_PTS : 0,
    needsLogin: account.needsLogin ? -NEEDS_LOGIN_PENALTY_PTS : 0,
    stale: staleReason === null ? 0 : -STALE_PENALTY_PTS,
    barrier5h: -barrierPts(raw5),
    barrier7d: -barrierPts(raw7),
    runway: -runwayPenaltyPts(raw5, burn5PctPerHour),
  };
  const terms: ScoreTerm[] = [];
  // Summed in the listed order so the breakdown adds up to the score bit for bit.
  let sum = 0;
  for (const key of TERM_KEYS) {
    const value = plain(values[key]);
    terms.push({ key, label: TERM_LABELS[key], value });
    sum += value;
  }
  const score = plain(sum);

  return {
    id: account.id,
    name: account.name,
    score,
    available: !exhausted && !account.needsLogin,
    exhausted,
    exhaustedWindows: exhaustedViews.map(([key]) => key),
    exhaustedUntilMs,
    stale: staleReason !== null,
    staleReason,
    rateLimited: account.rateLimited,
    needsLogin: account.needsLogin,
    activeSessions: sessions,
    reservedSessions: reserved,
    sampledAtMs: latest?.takenAtMs ?? null,
    util5Pct: w5.util,
    util7Pct: w7.util,
    scoped7: scoped,
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
    runwayHours: burn5PctPerHour > 0 ? Math.max(raw5, 0) / burn5PctPerHour : null,
    terms,
  };
}

/** Rounds a score to one decimal for display only; ranking always uses the exact float. */
export function roundScore(score: number): number {
  // The tiny nudge keeps values such as 34.85, stored as 34.8499…, rounding the way they read.
  const rounded = Math.round(Math.abs(score) * 10 + 1e-9) / 10;
  return plain(score < 0 ? -rounded : rounded);
}
