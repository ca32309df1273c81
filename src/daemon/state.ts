// What the daemon publishes about itself in the meta table, for `ccp service status`.
import type { Db } from "../store/db.ts";
import { DAEMON_HEARTBEAT_KEY, DAEMON_HEARTBEAT_STALE_MS, getMeta, setMeta } from "../store/meta.ts";
import { pidAlive } from "../store/sessions.ts";
import { type DaemonOwner, readDaemonOwner } from "./instance.ts";

export const LAST_POLL_KEY = "daemon_last_poll_ms";
export const LAST_ERROR_KEY = "daemon_last_error";
export const LAST_ERROR_AT_KEY = "daemon_last_error_ms";
export const PAUSED_UNTIL_KEY = "daemon_paused_until_ms";

export interface DaemonState {
  running: boolean;
  owner: DaemonOwner | null;
  heartbeatAtMs: number | null;
  lastPollAtMs: number | null;
  lastError: string | null;
  lastErrorAtMs: number | null;
  pausedUntilMs: number | null;
}

function num(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}

export function readDaemonState(
  db: Db,
  nowMs: number,
  isAlive: (pid: number) => boolean = pidAlive,
): DaemonState {
  const owner = readDaemonOwner(db) ?? null;
  const heartbeatAtMs = num(getMeta(db, DAEMON_HEARTBEAT_KEY));
  const fresh = heartbeatAtMs !== null && nowMs - heartbeatAtMs < DAEMON_HEARTBEAT_STALE_MS;
  return {
    running: owner !== null && fresh && isAlive(owner.pid),
    owner,
    heartbeatAtMs,
    lastPollAtMs: num(getMeta(db, LAST_POLL_KEY)),
    lastError: getMeta(db, LAST_ERROR_KEY) ?? null,
    lastErrorAtMs: num(getMeta(db, LAST_ERROR_AT_KEY)),
    pausedUntilMs: num(getMeta(db, PAUSED_UNTIL_KEY)),
  };
}

/** Call inside a write transaction. */
export function recordDaemonError(db: Db, message: string, atMs: number): void {
  setMeta(db, LAST_ERROR_KEY, message);
  setMeta(db, LAST_ERROR_AT_KEY, String(atMs));
}
