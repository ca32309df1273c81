// Starting the daemon in the background from `select`/`run` (when its heartbeat is stale) and from
// `init`/`add` where no service manager exists. Never waits for it; a daemon that keeps dying is
// restarted at most AUTOSTART_LIMIT times per AUTOSTART_WINDOW_MS, counted in the database.
import { sourceEntry } from "../app/self-path.ts";
import type { Env } from "../env.ts";
import { type Db, writeTx } from "../store/db.ts";
import { getMeta, setMeta } from "../store/meta.ts";

export const AUTOSTART_KEY = "daemon_autostarts_ms";
export const AUTOSTART_LIMIT = 3;
export const AUTOSTART_WINDOW_MS = 10 * 60_000;
/** Set by `ccp service uninstall`: nothing starts the daemon again until install, init or add. */
export const DAEMON_DISABLED_KEY = "daemon_disabled";

export type AutostartResult =
  | { started: true; pid: number }
  | { started: false; reason: "env" | "disabled" | "ceiling" | "spawn-failed"; detail?: string };

function recentStarts(raw: string | undefined, nowMs: number): number[] {
  if (!raw) return [];
  try {
    const list: unknown = JSON.parse(raw);
    if (!Array.isArray(list)) return [];
    return list.filter(
      (t): t is number => typeof t === "number" && nowMs - t < AUTOSTART_WINDOW_MS && t <= nowMs,
    );
  } catch {
    return [];
  }
}

/**
 * Records a start if the ceiling allows one. The read-only check comes first so a pool whose
 * daemon keeps dying costs `select` one SELECT, not a write transaction.
 */
export function takeAutostartSlot(db: Db, nowMs: number): boolean {
  if (recentStarts(getMeta(db, AUTOSTART_KEY), nowMs).length >= AUTOSTART_LIMIT) return false;
  return writeTx(db, () => {
    const starts = recentStarts(getMeta(db, AUTOSTART_KEY), nowMs);
    if (starts.length >= AUTOSTART_LIMIT) return false;
    setMeta(db, AUTOSTART_KEY, JSON.stringify([...starts, nowMs]));
    return true;
  });
}

/**
 * The argv that runs `ccp daemon` now: `bun <script> daemon` from source, the binary itself when
 * compiled (its argv[1] is a path inside the embedded file system).
 */
export function daemonArgv(): string[] {
  const entry = sourceEntry(process.argv[1]);
  return entry ? [process.execPath, entry, "daemon"] : [process.execPath, "daemon"];
}

/** The daemon's environment: the caller's, minus the session variable a scan would mistake it for. */
export function daemonEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env.raw)) {
    if (v !== undefined && k !== "CLAUDE_CONFIG_DIR") out[k] = v;
  }
  return out;
}

/** Spawns `ccp daemon` detached: its own session, no terminal, no inherited fds, not waited for. */
export function spawnDetachedDaemon(env: Env): number {
  const proc = Bun.spawn(daemonArgv(), {
    cwd: env.ccpHome,
    env: daemonEnv(env),
    stdio: ["ignore", "ignore", "ignore"],
    detached: true,
  });
  proc.unref();
  return proc.pid;
}

/** For `select`/`run` when the heartbeat is stale: start the daemon unless something says not to. */
export function maybeStartDaemon(env: Env, db: Db, nowMs: number = Date.now()): AutostartResult {
  if (!env.daemonAutostart) return { started: false, reason: "env" };
  if (getMeta(db, DAEMON_DISABLED_KEY) === "1") return { started: false, reason: "disabled" };
  if (!takeAutostartSlot(db, nowMs)) return { started: false, reason: "ceiling" };
  try {
    return { started: true, pid: spawnDetachedDaemon(env) };
  } catch (error) {
    return { started: false, reason: "spawn-failed", detail: (error as Error).message };
  }
}
