import { HOUR_MS, WINDOW_5H_MS } from "./constants.ts";
import { scoreAccount } from "./score-account.ts";
import type { AccountState, Forecast, ScoredAccount } from "./types.ts";

/**
 * When the 5h window runs dry at the current burn rate, or that it outlasts its reset. Accepts an
 * account already scored at `nowMs` or a raw account state.
 */
export function forecastAccount(input: ScoredAccount | AccountState, nowMs: number): Forecast {
  const scored = "termValues" in input ? input : scoreAccount(input, nowMs);
  if (scored.runwayHours === null) return { kind: "idle" };
  const dryAtMs = nowMs + scored.runwayHours * HOUR_MS;
  const resetMs = scored.reset5AtMs;
  if (resetMs !== null && resetMs > nowMs) {
    return dryAtMs >= resetMs
      ? { kind: "lasts-to-reset", resetAtMs: resetMs }
      : { kind: "runs-dry", atMs: dryAtMs };
  }
  // No open window (or its reset already passed): a fresh window lasts at most 5 h.
  if (dryAtMs - nowMs >= WINDOW_5H_MS) return { kind: "lasts-to-reset", resetAtMs: null };
  return { kind: "runs-dry", atMs: dryAtMs };
}
