// What running sessions tell cc-pool through `ccp statusline`, and how often cc-pool asked the usage
// endpoint itself. Kept in the meta table (small JSON values per account or session) so no schema
// migration is needed; every write runs inside the caller's write transaction.
import type { Db } from "./db.ts";
import { getMeta, setMeta } from "./meta.ts";

const STATUSLINE_PREFIX = "statusline:";
const CLAUDE_SESSION_PREFIX = "claude_session:";
const REQUESTS_PREFIX = "usage_requests:";

/** The newest status-line report of one account. */
export interface StatuslineMark {
  /** When cc-pool recorded a usage sample from it (epoch ms). */
  sampledAtMs: number;
  /** Claude Code's session id of the session that reported it. */
  claudeSessionId: string | null;
  /** That session's total API time at the time: it grows only when a new response arrived. */
  apiMs: number;
}

function parseJson(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

export function getStatuslineMark(db: Db, accountId: number): StatuslineMark | undefined {
  const v = parseJson(getMeta(db, `${STATUSLINE_PREFIX}${accountId}`)) as Partial<StatuslineMark> | undefined;
  if (!v || typeof v.sampledAtMs !== "number") return undefined;
  return {
    sampledAtMs: v.sampledAtMs,
    claudeSessionId: typeof v.claudeSessionId === "string" ? v.claudeSessionId : null,
    apiMs: typeof v.apiMs === "number" ? v.apiMs : 0,
  };
}

export function setStatuslineMark(db: Db, accountId: number, mark: StatuslineMark): void {
  setMeta(db, `${STATUSLINE_PREFIX}${accountId}`, JSON.stringify(mark));
}

/** Claude Code's session id for one `ccp run` session row (reported by its status line). */
export function getClaudeSessionId(db: Db, sessionRowId: number): string | undefined {
  return getMeta(db, `${CLAUDE_SESSION_PREFIX}${sessionRowId}`);
}

export function setClaudeSessionId(db: Db, sessionRowId: number, claudeSessionId: string): void {
  if (getClaudeSessionId(db, sessionRowId) === claudeSessionId) return;
  setMeta(db, `${CLAUDE_SESSION_PREFIX}${sessionRowId}`, claudeSessionId);
}

function requestTimes(db: Db, accountId: number): number[] {
  const v = parseJson(getMeta(db, `${REQUESTS_PREFIX}${accountId}`));
  return Array.isArray(v) ? v.filter((t): t is number => typeof t === "number") : [];
}

/** Usage requests sent for one account at or after `sinceMs`. */
export function usageRequestsSince(db: Db, accountId: number, sinceMs: number): number {
  return requestTimes(db, accountId).filter((t) => t >= sinceMs).length;
}

/**
 * Notes usage requests sent for one account; keeps only those at or after `keepSinceMs`, so the
 * value stays a few hundred bytes.
 */
export function noteUsageRequests(
  db: Db,
  accountId: number,
  atMs: readonly number[],
  keepSinceMs: number,
): void {
  if (atMs.length === 0) return;
  const kept = [...requestTimes(db, accountId), ...atMs]
    .filter((t) => t >= keepSinceMs)
    .sort((a, b) => a - b);
  setMeta(db, `${REQUESTS_PREFIX}${accountId}`, JSON.stringify(kept));
}

/** Drops session ids whose session row is gone (pruned with the history). */
export function pruneSessionSignals(db: Db): void {
  db.run(
    `DELETE FROM meta WHERE key LIKE '${CLAUDE_SESSION_PREFIX}%'
       AND CAST(substr(key, ${CLAUDE_SESSION_PREFIX.length + 1}) AS INTEGER) NOT IN (SELECT id FROM sessions)`,
  );
}
