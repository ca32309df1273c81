// A laptop whose clock was wrong (then fixed) leaves samples and heartbeats dated in the future.
// Read at face value they would look fresh for as long as the clock was ahead: no polls, no live
// samples, a dead daemon taken for alive. Anything dated further ahead than this is stale.

/** Clocks of one machine agree to well within this; more means the clock jumped. */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** True when `atMs` lies more than the allowed skew after `nowMs`: a wrong clock wrote it. */
export function isFromTheFuture(atMs: number, nowMs: number): boolean {
  return atMs - nowMs > FUTURE_SKEW_MS;
}
