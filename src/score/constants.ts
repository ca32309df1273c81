// Every tunable of the scoring formula. Score contributions are in points ("PTS"), a point being
// one percent of headroom at weight 1.

export const HOUR_MS = 3_600_000;
export const WINDOW_5H_MS = 5 * HOUR_MS;
export const WINDOW_7D_MS = 7 * 24 * HOUR_MS;
/** Reset credit only accrues within this long of a reset, so a weekly window earns it in its last 5 h. */
export const RESET_CREDIT_HORIZON_MS = 5 * HOUR_MS;

export const WEIGHT_5H = 0.7;
export const WEIGHT_7D = 0.25;
export const SESSION_PENALTY_PTS = 2;
export const RATE_LIMITED_PENALTY_PTS = 100;
export const NEEDS_LOGIN_PENALTY_PTS = 100;
export const STALE_PENALTY_PTS = 20;

/** A window at or above this utilization (with its reset still ahead) is exhausted. */
export const EXHAUSTED_UTIL_PCT = 99.5;
/** Below this much raw headroom a window pays `BARRIER_PCT − raw` points. */
export const BARRIER_PCT = 20;

export const RUNWAY_PENALTY_MAX_PTS = 15;
/** Runway at or beyond this many hours costs nothing; the penalty grows linearly below it. */
export const RUNWAY_HORIZON_HOURS = 5;

export const BURN_WINDOW_MS = 45 * 60_000;
export const BURN_MIN_SAMPLES = 3;
export const BURN_MIN_SPAN_MS = 10 * 60_000;

/** Scoring treats a newest good sample older than this as stale. */
export const STALE_AFTER_MS = 90_000;
/** Displays call data stale only after this, longer than the worst gap between polls. */
export const DISPLAY_STALE_AFTER_MS = 5 * 60_000;

export const PIN_TTL_MS = HOUR_MS;
export const PIN_MIN_RAW5_PCT = 10;

export const WAIT_RECHECK_MS = 15_000;
