import type { Db } from "./db.ts";
import { isFromTheFuture } from "../clock-skew.ts";

export function getMeta(db: Db, key: string): string | undefined {
  return db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.run(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [key, value],
  );
}

export const DAEMON_HEARTBEAT_KEY = "daemon_heartbeat_ms";
/** A daemon whose heartbeat is older than this is considered gone. */
export const DAEMON_HEARTBEAT_STALE_MS = 90_000;

export function daemonAlive(db: Db, nowMs: number): boolean {
  return heartbeatIsLive(getMeta(db, DAEMON_HEARTBEAT_KEY), nowMs);
}

/** Whether a stored heartbeat (ms, as text) shows a daemon alive at `nowMs`. */
export function heartbeatIsLive(stored: string | null | undefined, nowMs: number): boolean {
  const beat = Number(stored ?? 0);
  // A heartbeat from the future was written under a wrong clock: it proves nothing about now.
  return beat > 0 && !isFromTheFuture(beat, nowMs) && nowMs - beat < DAEMON_HEARTBEAT_STALE_MS;
}

/**
 * The launch's first look, in one query: the daemon's heartbeat, and whether any account was never
 * polled (no usage summary yet).
 */
export function launchGlance(db: Db): { heartbeat: string | null; anyUnsampled: boolean } {
  const row = db
    .query<{ heartbeat: string | null; any_unsampled: number }, [string]>(
      `SELECT (SELECT value FROM meta WHERE key = ?) AS heartbeat,
         EXISTS (SELECT 1 FROM accounts a
                 WHERE NOT EXISTS (SELECT 1 FROM account_usage u WHERE u.account_id = a.id)) AS any_unsampled`,
    )
    .get(DAEMON_HEARTBEAT_KEY);
  return { heartbeat: row?.heartbeat ?? null, anyUnsampled: row?.any_unsampled === 1 };
}
