import { BURN_MIN_SAMPLES, BURN_MIN_SPAN_MS, BURN_WINDOW_MS, HOUR_MS } from "./constants.ts";
import type { BurnSample } from "./types.ts";

/**
 * Least-squares slope of 5h utilization, in percent per hour, over the samples of the last
 * `BURN_WINDOW_MS` that follow the latest 5h reset inside that span. Returns 0 unless at least
 * `BURN_MIN_SAMPLES` samples span `BURN_MIN_SPAN_MS`.
 */
export function burnRate5h(history: readonly BurnSample[], nowMs: number): number {
  const fromMs = nowMs - BURN_WINDOW_MS;
  const recent = history.filter((s) => s.takenAtMs >= fromMs && s.takenAtMs <= nowMs);
  // A reset time that has already passed and lies in the span splits it: usage before it belongs
  // to the previous window and would turn the slope negative.
  let cutMs = fromMs;
  for (const sample of recent) {
    const resetMs = sample.reset5AtMs;
    if (resetMs !== null && resetMs > cutMs && resetMs <= nowMs) cutMs = resetMs;
  }
  const used = recent.filter((s) => s.takenAtMs >= cutMs);
  if (used.length < BURN_MIN_SAMPLES) return 0;

  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  let sumX = 0;
  let sumY = 0;
  for (const sample of used) {
    firstMs = Math.min(firstMs, sample.takenAtMs);
    lastMs = Math.max(lastMs, sample.takenAtMs);
    sumX += sample.takenAtMs - nowMs;
    sumY += sample.util5Pct;
  }
  if (lastMs - firstMs < BURN_MIN_SPAN_MS) return 0;

  // Centre x on its mean so epoch-sized numbers do not swamp the sums.
  const meanX = sumX / used.length;
  const meanY = sumY / used.length;
  let sxy = 0;
  let sxx = 0;
  for (const sample of used) {
    const dx = sample.takenAtMs - nowMs - meanX;
    sxy += dx * (sample.util5Pct - meanY);
    sxx += dx * dx;
  }
  if (sxx === 0) return 0;
  const slope = (sxy / sxx) * HOUR_MS;
  return slope === 0 ? 0 : slope;
}
