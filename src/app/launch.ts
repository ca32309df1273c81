// `ccp run`: choose, prepare, announce, then the spawn-and-wait shim. The shim lives exactly as
// long as claude: it forwards signals, records the end of the session and returns claude's status.
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { mergeShareableKeys } from "../overlay/claude-json.ts";
import { syncOverlay } from "../overlay/symlinks.ts";
import type { AccountRow } from "../store/accounts.ts";
import { type Db, openDb, writeTx } from "../store/db.ts";
import { daemonAlive } from "../store/meta.ts";
import { closeSession, getPin, liveSessions, setPin } from "../store/sessions.ts";
import { log } from "../ui/log.ts";
import { findClaude } from "./claude-bin.ts";
import { openExistingPool } from "./pool.ts";
import { type Selection, announceLine, selectAccount } from "./select.ts";

/** Variables that make claude ignore the config dir's login. */
export const OVERRIDING_AUTH_VARS = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
] as const;
const DEPTH_VAR = "CCP_RUN_DEPTH";
const MAX_DEPTH = 4;
const FORWARDED_SIGNALS = ["SIGTERM", "SIGHUP", "SIGQUIT"] as const;
/** The launch path refreshes only a token that expires within this (claude starts in a few seconds). */
export const LAUNCH_REFRESH_WITHIN_MS = 60_000;
/** How long the launch path waits for the refresh locks (the token request itself gets 30 s). */
export const LAUNCH_LOCK_WAIT_MS = 10_000;
/** How long `ccp run` keeps trying to close its session row on a database someone holds locked. */
export const CHECK_IN_PATIENCE_MS = 5 * 60_000;

export function pluginCacheDir(env: Env): string {
  return join(env.claudeDir, "plugins");
}

/** The child's environment: exactly one CLAUDE_CONFIG_DIR (the string that was hashed). */
export function launchEnv(env: Env, configDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env.raw)) if (v !== undefined && k !== "CLAUDE_CONFIG_DIR") out[k] = v;
  out.CLAUDE_CONFIG_DIR = configDir;
  if (!out.CLAUDE_CODE_PLUGIN_CACHE_DIR) out.CLAUDE_CODE_PLUGIN_CACHE_DIR = pluginCacheDir(env);
  out[DEPTH_VAR] = String(Number(env.raw[DEPTH_VAR] ?? 0) + 1);
  return out;
}

export function overridingAuthVars(env: Env): string[] {
  return OVERRIDING_AUTH_VARS.filter((k) => (env.raw[k] ?? "") !== "");
}

/** Brings the account dir up to date with the base before claude reads it. */
export async function prepareAccount(
  env: Env,
  db: Db,
  account: AccountRow,
  ownSessionId: number,
): Promise<void> {
  const report = syncOverlay({ baseDir: env.claudeDir, accountDir: account.configDir });
  for (const c of report.conflicts) log.warn(`${c.path}: ${c.message} (run \`ccp doctor\`).`);
  const merged = mergeShareableKeys({
    baseJsonPath: env.claudeJson,
    accountJsonPath: join(account.configDir, ".claude.json"),
  });
  if (merged.skipped?.reason === "account-unparsable") {
    log.warn(
      `${merged.skipped.path} is not valid JSON; settings from ~/.claude.json were not merged (run \`ccp doctor\`).`,
    );
  }
  try {
    await refreshForLaunch(env, db, account, ownSessionId);
  } catch (error) {
    // The login is claude's to use either way; a failed check must not stop the launch.
    log.dim(`Could not check ${account.name}'s login before starting (${(error as Error).message}).`);
  }
}

/**
 * A token is refreshed on the launch path only when it would not even last until claude starts:
 * a still-valid token is claude's to refresh (it does so itself, under the same locks). An
 * interrupted credential write is recovered first, whatever else runs.
 */
async function refreshForLaunch(env: Env, db: Db, account: AccountRow, ownSessionId: number): Promise<void> {
  const { createCredentialStore } = await import("../secrets/index.ts");
  const { expiresSoon, recoverAccount, refreshIdleAccount } = await import("./refresh.ts");
  const store = createCredentialStore(env);
  const recovered = await recoverAccount(env, db, store, account);
  if (recovered?.recovery?.adopted) log.info(`Recovered ${account.name}'s login from an interrupted write.`);
  // With a daemon running, it keeps idle logins fresh; otherwise do it here, only when no other
  // session owns this account's refresh.
  if (daemonAlive(db, Date.now())) return;
  const others = liveSessions(db, Date.now()).filter(
    (s) => s.accountId === account.id && s.id !== ownSessionId,
  );
  if (others.length > 0) return;
  if (!(await expiresSoon(store, account.configDir, Date.now(), LAUNCH_REFRESH_WITHIN_MS))) return;
  const outcome = await refreshIdleAccount(env, db, store, account, {
    refreshIfExpiresWithinMs: LAUNCH_REFRESH_WITHIN_MS,
    // A lock held this long is a claude refreshing this very token: it will hand it over.
    lockWaitMs: LAUNCH_LOCK_WAIT_MS,
  });
  if (outcome.status === "needs-login") {
    log.warn(
      `${account.name}'s login was revoked; claude will ask you to log in again (or run \`ccp add\`).`,
    );
  } else if (outcome.status === "outcome-unknown") {
    log.warn(
      `${account.name}'s token refresh got no answer (${outcome.message}); the stored login was left as it is. If claude asks you to log in, log in again with \`/login\`.`,
    );
  } else if (outcome.status === "transient") {
    log.dim(`Could not refresh ${account.name}'s token now (${outcome.message}); claude will retry.`);
  }
}

function announce(env: Env, selection: Selection): void {
  log.info(announceLine(selection));
  const warning = selection.decision.warning;
  if (warning) log.warn(warning);
  const overriding = overridingAuthVars(env);
  if (overriding.length > 0) {
    log.warn(
      `${overriding.join(", ")} ${overriding.length === 1 ? "is" : "are"} set: claude will use ${overriding.length === 1 ? "it" : "them"} instead of ${selection.account.name}'s subscription. Unset ${overriding.length === 1 ? "it" : "them"} to run on the pool.`,
    );
  }
}

function exitCodeOf(proc: { exitCode: number | null; signalCode: NodeJS.Signals | number | null }): number {
  if (proc.exitCode !== null) return proc.exitCode;
  if (typeof proc.signalCode === "number") return 128 + proc.signalCode;
  const signals = osConstants.signals as Record<string, number>;
  return 128 + (signals[proc.signalCode ?? ""] ?? 1);
}

/** Closes the session row (and refreshes the directory's pin) with a fresh handle. */
function checkInOnce(
  env: Env,
  sessionId: number,
  accountId: number,
  cwd: string,
  exitCode: number | null,
): void {
  const db = openDb(env.dbPath);
  try {
    writeTx(db, () => {
      const now = Date.now();
      closeSession(db, sessionId, now, exitCode);
      const pin = getPin(db, cwd);
      if (pin?.accountId === accountId) setPin(db, cwd, accountId, now, pin.manual);
    });
  } finally {
    db.close();
  }
}

function isBusy(error: unknown): boolean {
  return /database is locked|SQLITE_BUSY|database table is locked/i.test(
    String((error as Error)?.message ?? error),
  );
}

/**
 * Closes the session row once the database is free. Never throws: claude's exit status is what
 * `ccp run` returns, whatever happens to the bookkeeping (a row left open is reaped by the daemon
 * once this process is gone).
 */
async function checkIn(
  env: Env,
  sessionId: number,
  accountId: number,
  cwd: string,
  exitCode: number | null,
): Promise<void> {
  const deadline = Date.now() + CHECK_IN_PATIENCE_MS;
  let told = false;
  for (;;) {
    try {
      checkInOnce(env, sessionId, accountId, cwd, exitCode);
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) {
        log.dim(`Could not record the end of this session (${(error as Error).message}).`);
        return;
      }
      if (!told) {
        log.dim(
          "The cc-pool database is locked by another process; waiting to record the end of this session.",
        );
        told = true;
      }
      await Bun.sleep(500);
    }
  }
}

export interface LaunchOptions {
  claudeArgs: string[];
  cwd: string;
  wait?: boolean;
}

export async function launch(env: Env, options: LaunchOptions): Promise<number> {
  const depth = Number(env.raw[DEPTH_VAR] ?? 0);
  if (depth >= MAX_DEPTH) {
    throw new CcpError(
      "failure",
      "`ccp run` is calling itself: the `claude` it found leads back to cc-pool.",
      {
        hint: "Set CCP_CLAUDE_BIN to the real Claude Code binary.",
      },
    );
  }
  const claudeBin = findClaude(env);
  const db = openExistingPool(env);
  if (!db)
    throw new CcpError("no-accounts", "The pool is empty.", {
      hint: "Run `ccp add` to add your first subscription.",
    });
  let selection: Selection;
  try {
    selection = await selectAccount(env, db, {
      forced: env.forcedAccount,
      wait: Boolean(options.wait),
      noDaemon: false,
      freshMs: 60_000,
      cwd: options.cwd,
      kind: "run",
      pid: process.pid,
    });
  } catch (error) {
    db.close();
    throw error;
  }
  const { account, sessionId } = selection;
  let exitCode: number | null = null;
  try {
    try {
      await prepareAccount(env, db, account, sessionId);
    } finally {
      db.close();
    }
    announce(env, selection);
    exitCode = await spawnAndWait(
      claudeBin,
      options.claudeArgs,
      launchEnv(env, account.configDir),
      options.cwd,
    );
    return exitCode;
  } finally {
    await checkIn(env, sessionId, account.id, options.cwd, exitCode);
  }
}

/** The shim proper: the terminal is inherited; Ctrl-C reaches claude directly, we keep waiting. */
export async function spawnAndWait(
  bin: string,
  args: string[],
  childEnv: Record<string, string>,
  cwd: string,
): Promise<number> {
  const ignore = (): void => {};
  process.on("SIGINT", ignore);
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn([bin, ...args], { env: childEnv, cwd, stdio: ["inherit", "inherit", "inherit"] });
  } catch (error) {
    process.off("SIGINT", ignore);
    throw new CcpError("claude-missing", `Could not start ${bin}: ${(error as Error).message}.`, {
      hint: "Check CCP_CLAUDE_BIN or your PATH.",
      exitCode: 127,
    });
  }
  const forwarders = FORWARDED_SIGNALS.map((signal) => {
    const handler = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    await child.exited;
    return exitCodeOf(child);
  } finally {
    process.off("SIGINT", ignore);
    for (const [signal, handler] of forwarders) process.off(signal, handler);
  }
}
