// `ccp service install|uninstall|status`: a LaunchAgent (or `brew services` on Homebrew installs)
// on macOS, a systemd user unit on Linux, and a clear answer where neither exists (containers).
// Every outside command goes through `ServiceHost.run`, so the logic is tested with a stand-in host.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { type RequestCount, requestCounts } from "../app/request-budget.ts";
import type { Env } from "../env.ts";
import { listAccounts } from "../store/accounts.ts";
import { CcpError } from "../errors.ts";
import type { Db } from "../store/db.ts";
import { DAEMON_HEARTBEAT_KEY, getMeta, setMeta } from "../store/meta.ts";
import { pidAlive } from "../store/sessions.ts";
import { readDaemonOwner, readPidFile } from "./instance.ts";
import { DAEMON_LOG_KEEP, DAEMON_LOG_NAME } from "./log.ts";
import {
  HOMEBREW_FORMULA,
  LAUNCHD_LABEL,
  customSettings,
  SYSTEMD_UNIT_NAME,
  renderLaunchAgent,
  renderSystemdUnit,
  serviceSpec,
} from "./service-files.ts";
import { DAEMON_DISABLED_KEY } from "./spawn.ts";
import { type DaemonState, readDaemonState } from "./state.ts";

export const MANUAL_COMMAND = "nohup ccp daemon >/dev/null 2>&1 &";
const STOP_WAIT_MS = 5_000;
/** How long `bootout` may take to let go of the label before `bootstrap` is tried anyway. */
const BOOTOUT_WAIT_MS = 10_000;
/** launchctl's "Input/output error" and "Operation already in progress": the bootout race. */
const BOOTSTRAP_RETRY_CODES = new Set([5, 37]);
const BOOTSTRAP_ATTEMPTS = 6;
const BOOTSTRAP_FIRST_DELAY_MS = 100;
/** How long a freshly started job is watched for an early exit. */
const START_WATCH_MS = 2_000;
const START_WATCH_STEP_MS = 250;
export const LOGIN_ITEMS_HINT =
  "If cc-pool is switched off under System Settings > General > Login Items (Allow in the Background), switch it on and run `ccp service install` again.";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Everything the service code needs from the machine. */
export interface ServiceHost {
  platform: NodeJS.Platform;
  uid: number;
  /** Runs a command to completion (bounded by a timeout); a missing binary is code 127. */
  run(argv: string[]): Promise<CommandResult>;
  /** Absolute path of a command on PATH, or null. */
  which(name: string): string | null;
  /** argv of `ccp daemon` for the service file. */
  program: string[];
  /** cc-pool runs from a Homebrew Cellar. */
  homebrew: boolean;
  now(): number;
  /** Waits (retry back-off, polling launchctl); defaults to a real sleep. */
  sleep?(ms: number): Promise<void>;
}

function pause(host: ServiceHost, ms: number): Promise<void> {
  return host.sleep ? host.sleep(ms) : Bun.sleep(ms);
}

export type ManagerKind = "launchd" | "brew" | "systemd" | "none";

export interface Manager {
  kind: ManagerKind;
  /** Human name, e.g. `systemd user unit`. */
  name: string;
  /** The service file, when cc-pool writes one. */
  file: string | null;
  /** Why there is no manager (kind "none"). */
  reason?: string;
  /** Which environment the daemon runs with, for `ccp service status`. */
  note?: string;
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}

export function systemdUnitPath(env: Env): string {
  const xdg = env.raw.XDG_CONFIG_HOME;
  const base = xdg?.startsWith("/") ? xdg : join(env.home, ".config");
  return join(base, "systemd", "user", SYSTEMD_UNIT_NAME);
}

export function launchAgentPath(env: Env, label = LAUNCHD_LABEL): string {
  return join(env.home, "Library", "LaunchAgents", `${label}.plist`);
}

/** Which service manager this machine offers the daemon. */
export async function detectManager(env: Env, host: ServiceHost): Promise<Manager> {
  if (host.platform === "darwin") {
    // `brew services` starts the daemon with no environment: only a pool on default settings may
    // use it, anything else gets cc-pool's own LaunchAgent, which records the settings.
    const custom = customSettings(env.raw, env.home);
    if (host.homebrew && host.which("brew") && custom.length === 0)
      return {
        kind: "brew",
        name: "Homebrew service (brew services)",
        file: launchAgentPath(env, `homebrew.mxcl.${HOMEBREW_FORMULA}`),
        note: `default settings (${join(env.home, ".cc-pool")}); brew services passes no CCP_* variables`,
      };
    if (host.which("launchctl")) {
      const settings =
        custom.length > 0 ? `recorded in the LaunchAgent: ${custom.join(", ")}` : "default settings";
      const instead =
        host.homebrew && custom.length > 0
          ? "; its own LaunchAgent rather than brew services, which would drop them"
          : "";
      return {
        kind: "launchd",
        name: "LaunchAgent",
        file: launchAgentPath(env),
        note: `${settings}${instead}`,
      };
    }
    return { kind: "none", name: "none", file: null, reason: "launchctl was not found" };
  }
  if (host.platform === "linux") {
    if (!host.which("systemctl"))
      return { kind: "none", name: "none", file: null, reason: "systemctl was not found (no systemd here)" };
    const probe = await host.run(["systemctl", "--user", "show-environment"]);
    if (probe.code !== 0) {
      const detail = firstLine(probe.stderr) || `exit status ${probe.code}`;
      return {
        kind: "none",
        name: "none",
        file: null,
        reason: `there is no systemd user session (${detail})`,
      };
    }
    const custom = customSettings(env.raw, env.home);
    return {
      kind: "systemd",
      name: "systemd user unit",
      file: systemdUnitPath(env),
      note: custom.length > 0 ? `recorded in the unit: ${custom.join(", ")}` : "default settings",
    };
  }
  return {
    kind: "none",
    name: "none",
    file: null,
    reason: `no service manager is supported on ${host.platform}`,
  };
}

function writeAtomic(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, path);
}

async function must(host: ServiceHost, argv: string[], what: string): Promise<CommandResult> {
  const r = await host.run(argv);
  if (r.code !== 0) {
    const detail = firstLine(r.stderr) || firstLine(r.stdout) || `exit status ${r.code}`;
    throw new CcpError("failure", `Could not ${what}: \`${argv.join(" ")}\` failed (${detail}).`, {
      hint: `Run it yourself to see the full message, or run the daemon by hand: ${MANUAL_COMMAND}`,
    });
  }
  return r;
}

/** Minimal view of the pool for the service commands (the database may not exist yet). */
export interface PoolAccess {
  /** Runs `fn` with the pool database open, or returns undefined when there is no pool. */
  withDb<T>(fn: (db: Db) => T): T | undefined;
}

/** SIGTERMs a running daemon not managed by the service (started by select, init or by hand). */
export async function stopRunningDaemon(
  env: Env,
  pool: PoolAccess,
  host: ServiceHost,
): Promise<number | null> {
  const owner = pool.withDb((db) => readDaemonOwner(db));
  const pid = owner?.pid ?? readPidFile(env.ccpHome);
  if (pid === undefined || pid === process.pid || !pidAlive(pid)) return null;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return null;
  }
  const deadline = host.now() + STOP_WAIT_MS;
  while (pidAlive(pid) && host.now() < deadline) await Bun.sleep(50);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  return pid;
}

export type InstallResult =
  | { installed: true; manager: Manager; file: string | null; changed: boolean }
  | { installed: false; manager: Manager; manual: string };

async function launchdLoaded(
  host: ServiceHost,
  label: string,
): Promise<{ loaded: boolean; running: boolean }> {
  const r = await host.run(["launchctl", "print", `gui/${host.uid}/${label}`]);
  if (r.code !== 0) return { loaded: false, running: false };
  return { loaded: true, running: /^\s*state = running/m.test(r.stdout) || /^\s*pid = \d+/m.test(r.stdout) };
}

/** Installs and starts the service. Idempotent: an unchanged, running service is left alone. */
export async function installService(env: Env, pool: PoolAccess, host: ServiceHost): Promise<InstallResult> {
  const manager = await detectManager(env, host);
  // Asking for the service undoes an uninstall's "never start again", even where there is none.
  pool.withDb((db) => db.run("DELETE FROM meta WHERE key = ?", [DAEMON_DISABLED_KEY]));
  if (manager.kind === "none") return { installed: false, manager, manual: MANUAL_COMMAND };
  if (manager.kind === "brew") {
    await stopRunningDaemon(env, pool, host);
    await must(host, ["brew", "services", "restart", HOMEBREW_FORMULA], "start the Homebrew service");
    return { installed: true, manager, file: manager.file, changed: true };
  }
  const spec = serviceSpec({ program: host.program, ccpHome: env.ccpHome, raw: env.raw });
  // The service's WorkingDirectory and log live in CCP_HOME: launchd cannot start a job whose
  // WorkingDirectory is missing, and systemd's daemon would have nowhere to write.
  mkdirSync(env.ccpHome, { recursive: true, mode: 0o700 });
  const file = manager.file as string;
  const text = manager.kind === "launchd" ? renderLaunchAgent(spec) : renderSystemdUnit(spec);
  const previous = existsSync(file) ? readFileSync(file, "utf8") : null;
  const changed = previous !== text;
  if (changed) writeAtomic(file, text, 0o644);
  if (manager.kind === "systemd") {
    const active = (await host.run(["systemctl", "--user", "is-active", SYSTEMD_UNIT_NAME])).code === 0;
    if (!changed && active) return { installed: true, manager, file, changed: false };
    // The service's daemon takes over from one started in the background.
    await stopRunningDaemon(env, pool, host);
    await must(host, ["systemctl", "--user", "daemon-reload"], "reload systemd");
    await must(host, ["systemctl", "--user", "enable", SYSTEMD_UNIT_NAME], "enable the cc-pool unit");
    await must(
      host,
      ["systemctl", "--user", changed ? "restart" : "start", SYSTEMD_UNIT_NAME],
      "start the cc-pool unit",
    );
    return { installed: true, manager, file, changed };
  }
  const state = await launchdLoaded(host, spec.label);
  if (!changed && state.running) return { installed: true, manager, file, changed: false };
  await stopRunningDaemon(env, pool, host);
  if (state.loaded && changed) await bootout(host, spec.label);
  if (!state.loaded || changed) await bootstrap(host, file);
  const after = await launchdLoaded(host, spec.label);
  if (!after.running) {
    await must(host, ["launchctl", "kickstart", `gui/${host.uid}/${spec.label}`], "start the LaunchAgent");
  }
  await watchStart(host, spec.label, spec.outputLog);
  return { installed: true, manager, file, changed };
}

/** `bootout`, then wait until launchd has really let go of the label (it answers before it has). */
async function bootout(host: ServiceHost, label: string): Promise<void> {
  await host.run(["launchctl", "bootout", `gui/${host.uid}/${label}`]);
  const deadline = host.now() + BOOTOUT_WAIT_MS;
  let delay = 50;
  while ((await launchdLoaded(host, label)).loaded && host.now() < deadline) {
    await pause(host, delay);
    delay = Math.min(delay * 2, 1_000);
  }
}

/** `bootstrap`, retried with back-off while launchd still reports the bootout race (5 or 37). */
async function bootstrap(host: ServiceHost, file: string): Promise<void> {
  const argv = ["launchctl", "bootstrap", `gui/${host.uid}`, file];
  let delay = BOOTSTRAP_FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    const r = await host.run(argv);
    if (r.code === 0) return;
    if (!BOOTSTRAP_RETRY_CODES.has(r.code) || attempt >= BOOTSTRAP_ATTEMPTS) {
      const detail = firstLine(r.stderr) || firstLine(r.stdout) || `exit status ${r.code}`;
      throw new CcpError(
        "failure",
        `Could not load the LaunchAgent: \`${argv.join(" ")}\` failed (${detail}).`,
        {
          hint: `${LOGIN_ITEMS_HINT} Otherwise run the daemon by hand: ${MANUAL_COMMAND}`,
        },
      );
    }
    await pause(host, delay);
    delay *= 2;
  }
}

/** `last exit code = 78: EX_CONFIG` → 78; `(never exited)` or absent → null. */
export function lastExitCode(printed: string): number | null {
  const m = /^\s*last exit code = (-?\d+)/m.exec(printed);
  return m ? Number(m[1]) : null;
}

/**
 * Watches the job briefly after it was started: a job that cannot start (missing paths, a binary
 * that exits at once) shows up as a non-zero `last exit code` while not running. Success means
 * it did not fail in that time, nothing more.
 */
async function watchStart(host: ServiceHost, label: string, outputLog: string): Promise<void> {
  const deadline = host.now() + START_WATCH_MS;
  for (;;) {
    const r = await host.run(["launchctl", "print", `gui/${host.uid}/${label}`]);
    const running =
      r.code === 0 && (/^\s*state = running/m.test(r.stdout) || /^\s*pid = \d+/m.test(r.stdout));
    const exit = r.code === 0 ? lastExitCode(r.stdout) : null;
    if (!running && exit !== null && exit !== 0) {
      throw new CcpError(
        "failure",
        `The LaunchAgent was loaded but the daemon exited at once (last exit code ${exit}).`,
        {
          hint: `See ${outputLog} and \`launchctl print gui/${host.uid}/${label}\`; run \`ccp daemon\` in a terminal to see why it stops. ${LOGIN_ITEMS_HINT}`,
        },
      );
    }
    if (host.now() >= deadline) return;
    await pause(host, START_WATCH_STEP_MS);
  }
}

export interface UninstallOptions {
  force: boolean;
  purge: boolean;
  /** Live sessions in the pool (checked before anything is stopped). */
  liveSessions: () => Array<{ accountId: number; pid: number | null }>;
  /** Removes every account: credential and dir (never ~/.claude). */
  removeAccounts: () => Promise<string[]>;
}

export interface UninstallResult {
  manager: Manager;
  removedFile: string | null;
  stoppedPid: number | null;
  purged: boolean;
  /** Entries of CCP_HOME that were not cc-pool's and were left in place. */
  leftInHome: string[];
  problems: string[];
}

/** Files and dirs of a pool inside CCP_HOME; `--purge` removes these and nothing else. */
export function poolEntries(): string[] {
  const logs = [
    DAEMON_LOG_NAME,
    ...Array.from({ length: DAEMON_LOG_KEEP }, (_, i) => `${DAEMON_LOG_NAME}.${i + 1}`),
  ];
  return [
    "accounts",
    "locks",
    "pool.db",
    "pool.db-wal",
    "pool.db-shm",
    "pool.db-journal",
    "daemon.pid",
    "daemon.out.log",
    ...logs,
  ];
}

/** CCP_HOME must not be, or contain, the home folder or ~/.claude. */
function assertPurgeable(env: Env): void {
  const home = resolve(env.ccpHome);
  const inside = (outer: string, inner: string): boolean =>
    inner === outer || inner.startsWith(`${outer}${sep}`);
  if (home === "/" || inside(home, resolve(env.home)) || inside(home, resolve(env.claudeDir))) {
    throw new CcpError(
      "conflict",
      `Refusing to purge ${env.ccpHome}: it contains your home folder or ~/.claude.`,
      {
        hint: "Point CCP_HOME at the pool's own folder (default ~/.cc-pool) and try again.",
      },
    );
  }
}

export async function uninstallService(
  env: Env,
  pool: PoolAccess,
  host: ServiceHost,
  options: UninstallOptions,
): Promise<UninstallResult> {
  if (options.purge) assertPurgeable(env);
  const live = options.liveSessions();
  if (live.length > 0 && !options.force) {
    const what = live.map((s) => (s.pid === null ? "a reserved launch" : `pid ${s.pid}`)).join(", ");
    throw new CcpError("conflict", `${live.length} session(s) are running on pool accounts (${what}).`, {
      hint: "End them first, or pass --force (running sessions keep working but lose usage tracking).",
    });
  }
  const manager = await detectManager(env, host);
  const problems: string[] = [];
  let removedFile: string | null = null;
  if (manager.kind === "brew") {
    const r = await host.run(["brew", "services", "stop", HOMEBREW_FORMULA]);
    if (r.code !== 0) problems.push(`brew services stop failed: ${firstLine(r.stderr) || r.code}`);
  } else if (manager.kind === "systemd") {
    const file = manager.file as string;
    if (existsSync(file)) {
      const r = await host.run(["systemctl", "--user", "disable", "--now", SYSTEMD_UNIT_NAME]);
      if (r.code !== 0) problems.push(`systemctl disable failed: ${firstLine(r.stderr) || r.code}`);
      rmSync(file, { force: true });
      removedFile = file;
      await host.run(["systemctl", "--user", "daemon-reload"]);
    }
  }
  // On a Mac cc-pool's own LaunchAgent goes too, whichever manager the current settings pick: it
  // may have been installed with other CCP_* settings than this shell has.
  const ownAgent = host.platform === "darwin" ? launchAgentPath(env) : null;
  if (manager.kind === "launchd" || (ownAgent && existsSync(ownAgent))) {
    const file = ownAgent as string;
    await host.run(["launchctl", "bootout", `gui/${host.uid}/${LAUNCHD_LABEL}`]);
    if (existsSync(file)) {
      rmSync(file, { force: true });
      removedFile = file;
    }
  }
  const stoppedPid = await stopRunningDaemon(env, pool, host);
  if (!options.purge) {
    pool.withDb((db) => {
      setMeta(db, DAEMON_DISABLED_KEY, "1");
      db.run("DELETE FROM meta WHERE key = ?", [DAEMON_HEARTBEAT_KEY]);
    });
    return { manager, removedFile, stoppedPid, purged: false, leftInHome: [], problems };
  }
  problems.push(...(await options.removeAccounts()));
  const known = new Set(poolEntries());
  for (const name of known) rmSync(join(env.ccpHome, name), { recursive: true, force: true });
  let leftInHome: string[] = [];
  if (existsSync(env.ccpHome)) {
    leftInHome = readdirSync(env.ccpHome).filter((n) => !known.has(n));
    if (leftInHome.length === 0) rmdirSync(env.ccpHome);
  }
  return { manager, removedFile, stoppedPid, purged: true, leftInHome, problems };
}

export interface ServiceStatus {
  manager: ManagerKind;
  managerName: string;
  /** Why no manager is available, when there is none. */
  managerReason: string | null;
  /** Which settings the service's daemon runs with (it does not see this shell's environment). */
  settings: string | null;
  installed: boolean;
  file: string | null;
  running: boolean;
  pid: number | null;
  version: string | null;
  heartbeatAtMs: number | null;
  lastPollAtMs: number | null;
  lastError: string | null;
  lastErrorAtMs: number | null;
  autostartDisabled: boolean;
  log: string;
  /** Requests to the usage endpoint per account in the last hour (polite polling). */
  usageRequests: RequestCount[];
}

export async function serviceStatus(env: Env, pool: PoolAccess, host: ServiceHost): Promise<ServiceStatus> {
  const manager = await detectManager(env, host);
  const daemon: DaemonState | undefined = pool.withDb((db) => readDaemonState(db, host.now()));
  const disabled = pool.withDb((db) => getMeta(db, DAEMON_DISABLED_KEY));
  return {
    manager: manager.kind,
    managerName: manager.name,
    managerReason: manager.reason ?? null,
    settings: manager.note ?? null,
    installed: manager.file !== null && existsSync(manager.file),
    file: manager.file,
    running: daemon?.running ?? false,
    pid: daemon?.running ? (daemon.owner?.pid ?? null) : null,
    version: daemon?.running ? (daemon.owner?.version ?? null) : null,
    heartbeatAtMs: daemon?.heartbeatAtMs ?? null,
    lastPollAtMs: daemon?.lastPollAtMs ?? null,
    lastError: daemon?.lastError ?? null,
    lastErrorAtMs: daemon?.lastErrorAtMs ?? null,
    autostartDisabled: disabled === "1",
    log: join(env.ccpHome, DAEMON_LOG_NAME),
    usageRequests: pool.withDb((db) => requestCounts(db, env, listAccounts(db), host.now())) ?? [],
  };
}

/** The real machine. */
export function systemHost(env: Env, program: string[], homebrew: boolean): ServiceHost {
  return {
    platform: process.platform,
    uid: process.getuid?.() ?? 0,
    program,
    homebrew,
    now: Date.now,
    which: (name) => Bun.which(name, { PATH: env.path }),
    async run(argv: string[]): Promise<CommandResult> {
      const childEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(env.raw)) if (v !== undefined) childEnv[k] = v;
      let proc: ReturnType<typeof Bun.spawn>;
      try {
        proc = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: childEnv });
      } catch (error) {
        return { code: 127, stdout: "", stderr: (error as Error).message };
      }
      const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
      try {
        const [stdout, stderr, code] = await Promise.all([
          new Response(proc.stdout as ReadableStream).text(),
          new Response(proc.stderr as ReadableStream).text(),
          proc.exited,
        ]);
        return { code, stdout, stderr };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
