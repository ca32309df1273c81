import type { Db } from "./db.ts";

export interface AuthHealth {
  accountId: number;
  consecutiveAuthFailures: number;
  needsLogin: boolean;
  refreshFailed: boolean;
  backoffStep: number;
  nextPollAtMs: number | null;
  lastError: string | null;
  updatedAtMs: number;
}

interface RawHealth {
  account_id: number;
  consecutive_auth_failures: number;
  needs_login: number;
  refresh_failed: number;
  backoff_step: number;
  next_poll_at_ms: number | null;
  last_error: string | null;
  updated_at_ms: number;
}

function toHealth(r: RawHealth): AuthHealth {
  return {
    accountId: r.account_id,
    consecutiveAuthFailures: r.consecutive_auth_failures,
    needsLogin: r.needs_login === 1,
    refreshFailed: r.refresh_failed === 1,
    backoffStep: r.backoff_step,
    nextPollAtMs: r.next_poll_at_ms,
    lastError: r.last_error,
    updatedAtMs: r.updated_at_ms,
  };
}

export function allHealth(db: Db): Map<number, AuthHealth> {
  const rows = db.query<RawHealth, []>("SELECT * FROM auth_health").all();
  return new Map(rows.map((r) => [r.account_id, toHealth(r)]));
}

export function getHealth(db: Db, accountId: number): AuthHealth | undefined {
  const r = db.query<RawHealth, [number]>("SELECT * FROM auth_health WHERE account_id = ?").get(accountId);
  return r ? toHealth(r) : undefined;
}

/** Upserts the given fields; the others keep their values (or defaults for a new row). */
export function updateHealth(
  db: Db,
  accountId: number,
  nowMs: number,
  patch: Partial<Omit<AuthHealth, "accountId" | "updatedAtMs">>,
): void {
  const current = getHealth(db, accountId);
  const next = {
    consecutiveAuthFailures: patch.consecutiveAuthFailures ?? current?.consecutiveAuthFailures ?? 0,
    needsLogin: patch.needsLogin ?? current?.needsLogin ?? false,
    refreshFailed: patch.refreshFailed ?? current?.refreshFailed ?? false,
    backoffStep: patch.backoffStep ?? current?.backoffStep ?? 0,
    nextPollAtMs: patch.nextPollAtMs === undefined ? (current?.nextPollAtMs ?? null) : patch.nextPollAtMs,
    lastError: patch.lastError === undefined ? (current?.lastError ?? null) : patch.lastError,
  };
  db.run(
    `INSERT INTO auth_health (account_id, consecutive_auth_failures, needs_login, refresh_failed, backoff_step,
       next_poll_at_ms, last_error, updated_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(account_id) DO UPDATE SET consecutive_auth_failures = excluded.consecutive_auth_failures,
       needs_login = excluded.needs_login, refresh_failed = excluded.refresh_failed,
       backoff_step = excluded.backoff_step, next_poll_at_ms = excluded.next_poll_at_ms,
       last_error = excluded.last_error, updated_at_ms = excluded.updated_at_ms`,
    [
      accountId,
      next.consecutiveAuthFailures,
      next.needsLogin ? 1 : 0,
      next.refreshFailed ? 1 : 0,
      next.backoffStep,
      next.nextPollAtMs,
      next.lastError,
      nowMs,
    ],
  );
}
