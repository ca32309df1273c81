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
  const beat = Number(getMeta(db, DAEMON_HEARTBEAT_KEY) ?? 0);
  // A heartbeat from the future was written under a wrong clock: it proves nothing about now.
  return beat > 0 && !isFromTheFuture(beat, nowMs) && nowMs - beat < DAEMON_HEARTBEAT_STALE_MS;
}
