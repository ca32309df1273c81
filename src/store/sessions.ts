import type { Db } from "./db.ts";

export type SessionKind = "run" | "select" | "external";

export interface OpenSession {
  id: number;
  accountId: number;
  kind: SessionKind;
  pid: number | null;
  cwd: string | null;
  startedAtMs: number;
  expiresAtMs: number | null;
}

interface RawSession {
  id: number;
  account_id: number;
  kind: SessionKind;
  pid: number | null;
  cwd: string | null;
  started_at_ms: number;
  expires_at_ms: number | null;
}

export function insertSession(
  db: Db,
  s: {
    accountId: number;
    kind: SessionKind;
    pid: number | null;
    cwd: string | null;
    startedAtMs: number;
    expiresAtMs?: number | null;
  },
): number {
  const r = db
    .query<{ id: number }, [number, string, number | null, string | null, number, number | null]>(
      `INSERT INTO sessions (account_id, kind, pid, cwd, started_at_ms, expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(s.accountId, s.kind, s.pid, s.cwd, s.startedAtMs, s.expiresAtMs ?? null);
  return (r as { id: number }).id;
}

export function closeSession(db: Db, id: number, endedAtMs: number, exitCode: number | null): void {
  db.run("UPDATE sessions SET ended_at_ms = ?, exit_code = ? WHERE id = ? AND ended_at_ms IS NULL", [
    endedAtMs,
    exitCode,
    id,
  ]);
}

/** Sessions not ended and, for reservations, not expired. */
export function openSessions(db: Db, nowMs: number): OpenSession[] {
  return db
    .query<RawSession, [number]>(
      `SELECT id, account_id, kind, pid, cwd, started_at_ms, expires_at_ms FROM sessions
       WHERE ended_at_ms IS NULL AND (expires_at_ms IS NULL OR expires_at_ms > ?)`,
    )
    .all(nowMs)
    .map((r) => ({
      id: r.id,
      accountId: r.account_id,
      kind: r.kind,
      pid: r.pid,
      cwd: r.cwd,
      startedAtMs: r.started_at_ms,
      expiresAtMs: r.expires_at_ms,
    }));
}

/** True when a process with this pid exists (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Open sessions whose process is still alive; reservations count until they expire. */
export function liveSessions(db: Db, nowMs: number): OpenSession[] {
  return openSessions(db, nowMs).filter((s) => s.pid === null || pidAlive(s.pid));
}

/**
 * A `ccp select`/`ccp env` reservation: a launch that has no process yet. It stands for a claude
 * about to start, so scoring counts it briefly, but it is never a running session.
 */
export function isReservation(s: OpenSession): boolean {
  return s.pid === null;
}

/** Live sessions with a process (a `ccp run` shim or a claude found by the scan): no reservations. */
export function runningSessions(db: Db, nowMs: number): OpenSession[] {
  return liveSessions(db, nowMs).filter((s) => !isReservation(s));
}

function reapable(s: OpenSession, nowMs: number): boolean {
  const expired = s.expiresAtMs !== null && s.expiresAtMs <= nowMs;
  return expired || (s.pid !== null && !pidAlive(s.pid));
}

/** Whether reapSessions would close anything: a read, so an idle daemon takes no write lock. */
export function anyReapable(db: Db, nowMs: number): boolean {
  return openSessions(db, 0).some((s) => reapable(s, nowMs));
}

/** Closes sessions whose process is gone and expired reservations. Returns how many. */
export function reapSessions(db: Db, nowMs: number): number {
  let n = 0;
  for (const s of openSessions(db, 0)) {
    if (reapable(s, nowMs)) {
      closeSession(db, s.id, nowMs, null);
      n++;
    }
  }
  return n;
}

export function sessionCounts(sessions: OpenSession[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const s of sessions) counts.set(s.accountId, (counts.get(s.accountId) ?? 0) + 1);
  return counts;
}

export interface PinRow {
  cwd: string;
  accountId: number;
  updatedAtMs: number;
  manual: boolean;
}

export function getPin(db: Db, cwd: string): PinRow | undefined {
  const r = db
    .query<{ cwd: string; account_id: number; updated_at_ms: number; manual: number }, [string]>(
      "SELECT * FROM pins WHERE cwd = ?",
    )
    .get(cwd);
  return r
    ? { cwd: r.cwd, accountId: r.account_id, updatedAtMs: r.updated_at_ms, manual: r.manual === 1 }
    : undefined;
}

export function setPin(db: Db, cwd: string, accountId: number, nowMs: number, manual = false): void {
  db.run(
    `INSERT INTO pins (cwd, account_id, updated_at_ms, manual) VALUES (?, ?, ?, ?)
     ON CONFLICT(cwd) DO UPDATE SET account_id = excluded.account_id, updated_at_ms = excluded.updated_at_ms,
       manual = excluded.manual`,
    [cwd, accountId, nowMs, manual ? 1 : 0],
  );
}

export function deletePin(db: Db, cwd: string): void {
  db.run("DELETE FROM pins WHERE cwd = ?", [cwd]);
}
