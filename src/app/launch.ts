// `ccp run`: choose, prepare, announce, then the spawn-and-wait shim. The shim lives exactly as
// long as claude: it forwards signals, records the end of the session and returns claude's status.
// afterClaude() below is the one place for what happens once claude has exited.
import { join } from "node:path";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import type { AccountRow } from "../store/accounts.ts";
import { type Db, openDb, writeTx } from "../store/db.ts";
import { daemonAlive } from "../store/meta.ts";
import { closeSession, getPin, liveSessions, setPin } from "../store/sessions.ts";
import { log } from "../ui/log.ts";
import { flushOutput } from "../ui/output.ts";
import { checkInAccountFiles, prepareAccountFiles } from "./account-files.ts";
import { findClaude } from "./claude-bin.ts";
import { findLoginOverrides, neutraliseOverrides, overrideWarning } from "./login-overrides.ts";
import { openExistingPool } from "./pool.ts";
import { type Selection, announceLine, selectAccount } from "./select.ts";
import { SpawnError, spawnAndWait } from "./shim.ts";

export { FORWARDED_SIGNALS, IGNORED_SIGNALS, spawnAndWait } from "./shim.ts";

const DEPTH_VAR = "CCP_RUN_DEPTH";
const MAX_DEPTH = 4;

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
  // It would move the session onto the login stored in another folder (claude-code.md §6).
  neutraliseOverrides(out);
  return out;
}

/** Brings the account dir up to date with the base before claude reads it. */
export async function prepareAccount(
  env: Env,
  db: Db,
  account: AccountRow,
  ownSessionId: number,
): Promise<void> {
  prepareAccountFiles(env, account.configDir);
  // With a daemon running, it keeps idle logins fresh; otherwise do it here, only when no other
  // session owns this account's refresh.
  if (daemonAlive(db, Date.now())) return;
  const others = liveSessions(db, Date.now()).filter(
    (s) => s.accountId === account.id && s.id !== ownSessionId,
  );
  if (others.length > 0) return;
  const { createCredentialStore } = await import("../secrets/index.ts");
  const { expiresSoon, refreshIdleAccount } = await import("./refresh.ts");
  const store = createCredentialStore(env);
  try {
    if (!(await expiresSoon(store, account.configDir, Date.now()))) return;
  } catch {
    return;
  }
  const outcome = await refreshIdleAccount(env, db, store, account, { timeoutMs: 8000 });
  if (outcome.status === "invalid-grant") {
    log.warn(
      `${account.name}'s login was revoked; claude will ask you to log in again (or run \`ccp add\`).`,
    );
  } else if (outcome.status === "transient") {
    log.dim(`Could not refresh ${account.name}'s token now (${outcome.message}); claude will retry.`);
  }
}

function announce(env: Env, selection: Selection): void {
  log.info(announceLine(selection));
  const warning = selection.decision.warning;
  if (warning) log.warn(warning);
  const label = selection.account.email ?? selection.account.name;
  for (const override of findLoginOverrides({ env: env.raw, configDir: selection.account.configDir })) {
    log.warn(overrideWarning(override, label));
  }
}

/** Closes the session row (and refreshes the directory's pin) with a fresh handle. */
function checkIn(env: Env, sessionId: number, accountId: number, cwd: string, exitCode: number | null): void {
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
  const session: LaunchedSession = {
    sessionId,
    accountId: account.id,
    configDir: account.configDir,
    cwd: options.cwd,
  };
  let exitCode: number | null = null;
  try {
    try {
      await prepareAccount(env, db, account, sessionId);
    } finally {
      db.close();
    }
    announce(env, selection);
    const childEnv = launchEnv(env, account.configDir);
    // The announcement reaches the terminal before claude draws on it.
    await flushOutput();
    try {
      exitCode = await spawnAndWait(claudeBin, options.claudeArgs, childEnv, options.cwd);
    } catch (error) {
      if (!(error instanceof SpawnError)) throw error;
      throw new CcpError("claude-missing", error.message, {
        hint: "Check CCP_CLAUDE_BIN or your PATH.",
        exitCode: 127,
      });
    }
    return exitCode;
  } finally {
    await afterClaude(env, session, exitCode);
  }
}

/** The launch a post-exit step is about. */
export interface LaunchedSession {
  sessionId: number;
  accountId: number;
  configDir: string;
  cwd: string;
}

/**
 * Everything that happens once claude has exited: the one post-exit call site (`exitCode` is null
 * when claude never ran). It closes the session row first, which must always happen; later steps
 * (the write-back of settings, offers, …) follow and may import what they need.
 */
export async function afterClaude(
  env: Env,
  session: LaunchedSession,
  exitCode: number | null,
): Promise<void> {
  try {
    checkIn(env, session.sessionId, session.accountId, session.cwd, exitCode);
  } finally {
    checkInAccountFiles(env, session.configDir);
  }
}
