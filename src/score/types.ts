/**
 * A per-model weekly cap (a `seven_day_<model>` window, or `weekly_scoped` in the payload's
 * `limits`); it can bind before the 7d window.
 */
export interface ScopedWeekly {
  pct: number;
  resetAtMs: number | null;
  model: string;
}

/** One good usage sample. A null utilization means the payload had no such window. */
export interface UsageSnapshot {
  takenAtMs: number;
  util5Pct: number | null;
  reset5AtMs: number | null;
  util7Pct: number | null;
  reset7AtMs: number | null;
  scoped7?: ScopedWeekly | null;
  /** Every per-model weekly bucket; each binds, and the score folds them all (with `scoped7`). */
  scoped7Buckets?: readonly ScopedWeekly[];
}

export interface BurnSample {
  takenAtMs: number;
  util5Pct: number;
  reset5AtMs: number | null;
}

export interface AccountState {
  id: number;
  name: string;
  /** Newest good sample; null when the account was never sampled. */
  latest: UsageSnapshot | null;
  /** Good samples in any order; only the recent ones feed the burn rate. */
  history: readonly BurnSample[];
  /**
   * The 5h burn rate when the caller already knows it (the store keeps it up to date as samples
   * arrive); when absent it is computed from `history`.
   */
  burn5PctPerHour?: number;
  /** The newest usage poll got a 429; `latest` still holds the last good values. */
  rateLimited: boolean;
  needsLogin: boolean;
  refreshFailed: boolean;
  /** Running sessions (a shim or a claude found by the scan). */
  activeSessions: number;
  /** Launches reserved by `ccp select`/`ccp env` whose claude is not seen yet; scored like sessions. */
  reservedSessions?: number;
}

export type StaleReason = "never-sampled" | "refresh-failed" | "old-sample";

export type TermKey =
  | "headroom5h"
  | "resetCredit5h"
  | "headroom7d"
  | "resetCredit7d"
  | "sessions"
  | "rateLimited"
  | "needsLogin"
  | "stale"
  | "barrier5h"
  | "barrier7d"
  | "runway";

export interface ScoreTerm {
  key: TermKey;
  label: string;
  /** Signed points; the terms of an account, summed in order, equal its score exactly. */
  value: number;
}

export type WindowKey = "5h" | "7d" | "7d-scoped";

export interface ScoredAccount {
  id: number;
  name: string;
  score: number;
  /** Not exhausted and not waiting for a login: the only accounts a plain pick may choose. */
  available: boolean;
  exhausted: boolean;
  /** Windows that are exhausted right now, in a fixed order. */
  exhaustedWindows: WindowKey[];
  /** When every exhausted window has reset; null when not exhausted or a reset time is unknown. */
  exhaustedUntilMs: number | null;
  stale: boolean;
  staleReason: StaleReason | null;
  rateLimited: boolean;
  needsLogin: boolean;
  activeSessions: number;
  reservedSessions: number;
  sampledAtMs: number | null;
  /** Utilizations as scored: 0 when unknown, and 0 once the window's known reset has passed. */
  util5Pct: number;
  util7Pct: number;
  scoped7: ScopedWeekly | null;
  /** The per-model bucket has less headroom than the 7d window: its model is the one that binds. */
  scoped7Binds: boolean;
  reset5AtMs: number | null;
  reset7AtMs: number | null;
  /** Share of each window's utilization still counted (1 = no reset credit). */
  frac5: number;
  frac7: number;
  eff5: number;
  eff7: number;
  raw5: number;
  raw7: number;
  burn5PctPerHour: number;
  /** Hours until raw 5h headroom runs out at the current burn; null when not burning. */
  runwayHours: number | null;
  /**
   * The signed points of each term, in the order of `TermKey` (see `scoreTerms` for them labelled);
   * summed in that order they equal `score` exactly.
   */
  termValues: readonly number[];
}

export interface PinState {
  accountId: number;
  updatedAtMs: number;
  /** A session launched from the pinned cwd is still running. */
  live: boolean;
}

export type PinBreakReason = "expired" | "unavailable" | "low-headroom";

export type PinVerdict =
  | { accountId: number; kept: true }
  | { accountId: number; kept: false; reason: PinBreakReason };

export interface DecideInput {
  accounts: readonly AccountState[];
  nowMs: number;
  forcedId?: number | null;
  pin?: PinState | null;
  wait?: boolean;
}

export type NoneReason = "empty-pool" | "unknown-account" | "needs-login" | "no-fallback";

export type Decision =
  | {
      kind: "forced" | "pinned" | "selected" | "fallback";
      account: ScoredAccount;
      ranked: ScoredAccount[];
      /** Null when no pin was given or the account was forced. */
      pin: PinVerdict | null;
      warning: string | null;
    }
  | { kind: "wait"; wakeAtMs: number; ranked: ScoredAccount[]; pin: PinVerdict | null }
  | { kind: "none"; reason: NoneReason; message: string; ranked: ScoredAccount[]; pin: PinVerdict | null };

export type Forecast =
  | { kind: "runs-dry"; atMs: number }
  /** The window resets before it runs dry; null reset = no window open yet and runway beyond 5 h. */
  | { kind: "lasts-to-reset"; resetAtMs: number | null }
  | { kind: "idle" };
