// Polite polling: every request cc-pool sends to the usage endpoint is counted per account, and the
// automatic ones (daemon, live sampling before a launch, `select --wait`) keep each account under
// 20 per rolling hour. A sample the user asks for (`status --live`, `r`) is always sent, and counted.
// Like every daemon cadence, the hour scales with CCP_POLL_INTERVAL (tests run it 90 times faster).
import type { Env } from "../env.ts";
import type { AccountRow } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { getStatuslineMark, noteUsageRequests, usageRequestsSince } from "../store/session-signals.ts";

/** "Under 20 per rolling hour": at most this many automatic requests per account in the window. */
export const MAX_AUTO_REQUESTS_PER_WINDOW = 19;
const HOUR_MS = 3_600_000;
const DEFAULT_POLL_INTERVAL_MS = 180_000;

export function budgetWindowMs(env: Pick<Env, "pollIntervalMs">): number {
  return Math.round((HOUR_MS * (env.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS)) / DEFAULT_POLL_INTERVAL_MS);
}

/** The poll interval the daemon runs at: a status-line sample younger than this replaces its poll. */
export function pollIntervalOf(env: Pick<Env, "pollIntervalMs">): number {
  return env.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
}

export function requestsInWindow(
  db: Db,
  env: Pick<Env, "pollIntervalMs">,
  accountId: number,
  nowMs: number,
): number {
  return usageRequestsSince(db, accountId, nowMs - budgetWindowMs(env));
}

/** An automatic request for this account now stays within the budget. */
export function withinBudget(
  db: Db,
  env: Pick<Env, "pollIntervalMs">,
  accountId: number,
  nowMs: number,
): boolean {
  return requestsInWindow(db, env, accountId, nowMs) < MAX_AUTO_REQUESTS_PER_WINDOW;
}

/** Call inside a write transaction. */
export function noteRequests(
  db: Db,
  env: Pick<Env, "pollIntervalMs">,
  accountId: number,
  atMs: readonly number[],
): void {
  const latest = Math.max(...atMs);
  noteUsageRequests(db, accountId, atMs, latest - budgetWindowMs(env));
}

/** The account's session reported its usage through the status line within the poll interval. */
export function freshFromStatusline(
  db: Db,
  env: Pick<Env, "pollIntervalMs">,
  accountId: number,
  nowMs: number,
): boolean {
  const mark = getStatuslineMark(db, accountId);
  return mark !== undefined && nowMs - mark.sampledAtMs < pollIntervalOf(env);
}

export interface RequestCount {
  account: number;
  name: string;
  /** Requests sent in the last (scaled) hour. */
  lastHour: number;
  limit: number;
}

/** For `ccp service status`. */
export function requestCounts(
  db: Db,
  env: Pick<Env, "pollIntervalMs">,
  accounts: readonly AccountRow[],
  nowMs: number,
): RequestCount[] {
  return accounts.map((a) => ({
    account: a.id,
    name: a.name,
    lastHour: requestsInWindow(db, env, a.id, nowMs),
    limit: MAX_AUTO_REQUESTS_PER_WINDOW,
  }));
}
