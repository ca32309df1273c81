// Runs real `ccp daemon` processes against a test pool and makes sure none outlives its test:
// every spawned pid is tracked, and so is whatever pid a daemon wrote under its CCP_HOME.
import type { Subprocess } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Db, openDb } from "../../src/store/db.ts";
import { pidAlive } from "../../src/store/sessions.ts";
import { CLI_ENTRY, baseEnv } from "./cli.ts";

const spawned = new Set<Subprocess>();
const homes = new Set<string>();
const extraPids = new Set<number>();

export interface DaemonProc {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  pid: number;
}

/** Starts `ccp daemon` with a 1 s poll interval (override through `vars`). */
export function startDaemon(
  vars: Record<string, string | undefined>,
  extra: Record<string, string | undefined> = {},
): DaemonProc {
  const env = baseEnv({ CCP_POLL_INTERVAL: "1s", ...vars, ...extra });
  if (env.CCP_HOME) homes.add(env.CCP_HOME);
  const proc = Bun.spawn([process.execPath, CLI_ENTRY, "daemon"], {
    env,
    cwd: env.CCP_HOME ?? "/",
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  spawned.add(proc);
  return { proc, pid: proc.pid };
}

/** Remember a CCP_HOME whose daemon.pid must be reaped (daemons started detached by ccp). */
export function trackHome(ccpHome: string): void {
  homes.add(ccpHome);
}

/** Remember a pid to kill at the end (e.g. a sleeping stand-in session). */
export function trackPid(pid: number): void {
  extraPids.add(pid);
}

function readPid(ccpHome: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(ccpHome, "daemon.pid"), "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function kill9(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** kill -9 everything this file started, and every daemon that wrote a pid under a tracked home. */
export async function reapAll(): Promise<void> {
  const killDaemons = (): void => {
    for (const home of homes) {
      const pid = readPid(home);
      if (pid !== undefined && pid !== process.pid) kill9(pid);
    }
  };
  killDaemons();
  // A daemon started detached just before a test failed may write its pid file a moment later.
  if (homes.size > 0) {
    await Bun.sleep(300);
    killDaemons();
  }
  for (const pid of extraPids) kill9(pid);
  for (const proc of spawned) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await proc.exited;
  }
  spawned.clear();
  homes.clear();
  extraPids.clear();
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Opens the pool database for a moment. */
export function withDb<T>(ccpHome: string, fn: (db: Db) => T): T {
  const db = openDb(join(ccpHome, "pool.db"));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface SampleRow {
  account_id: number;
  status: string;
  util5_pct: number | null;
  taken_at_ms: number;
  error: string | null;
}

export function samples(ccpHome: string): SampleRow[] {
  return withDb(ccpHome, (db) =>
    db
      .query<SampleRow, []>(
        "SELECT account_id, status, util5_pct, taken_at_ms, error FROM usage_samples ORDER BY id",
      )
      .all(),
  );
}

export function isAlive(pid: number): boolean {
  return pidAlive(pid);
}

export async function stderrOf(d: DaemonProc): Promise<string> {
  return new Response(d.proc.stderr).text();
}

export function daemonLog(ccpHome: string): string {
  try {
    return readFileSync(join(ccpHome, "daemon.log"), "utf8");
  } catch {
    return "";
  }
}
