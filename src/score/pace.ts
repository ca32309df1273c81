// Is a window draining faster than it refills? Pure: `now` is an argument.

export const FIVE_HOUR_WINDOW_MS = 5 * 3_600_000;
/** Below this much use nothing is "fast": a first prompt in a fresh window always looks steep. */
const PACE_FLOOR_PCT = 10;

export interface PaceInput {
  util5Pct: number | null;
  reset5AtMs: number | null;
  /** Measured 5h burn (percent per hour), when known. */
  burn5PctPerHour: number | null;
}

/**
 * True when the 5h window runs out before it resets: at the measured burn when there is one,
 * otherwise when more of it is used than of its time has passed (the pace that just lasts).
 */
export function drainingFast(input: PaceInput, nowMs: number): boolean {
  const { util5Pct, reset5AtMs, burn5PctPerHour } = input;
  if (util5Pct === null || reset5AtMs === null || reset5AtMs <= nowMs) return false;
  if (util5Pct < PACE_FLOOR_PCT) return false;
  // A reset further away than a window is not a 5h window's reset: no pace to judge.
  if (reset5AtMs - nowMs > FIVE_HOUR_WINDOW_MS) return false;
  const leftMs = Math.min(reset5AtMs - nowMs, FIVE_HOUR_WINDOW_MS);
  if (burn5PctPerHour !== null && burn5PctPerHour > 0)
    return util5Pct + burn5PctPerHour * (leftMs / 3_600_000) >= 100;
  const elapsedPct = 100 * (1 - leftMs / FIVE_HOUR_WINDOW_MS);
  return util5Pct > elapsedPct;
}
