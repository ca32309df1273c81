// `ccp run`: choose, prepare, announce, then the spawn-and-wait shim. The shim lives exactly as
// long as claude: it forwards signals, records the end of the session and returns claude's status.
// afterClaude() below is the one place for what happens once claude has exited.
import { join } from "../fs/posix-path.ts";
import { isSymlink, lstatPath } from "../fs/probe.ts";
import { readDirEntries } from "../fs/reads.ts";
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
import type { LaunchRecord } from "../overlay/launch-record.ts";
import { findLoginOverridesForLaunch, neutraliseOverrides, overrideWarning } from "./login-overrides.ts";
import { openExistingPool } from "./pool.ts";
import { type Selection, announceLine, selectAccount } from "./select.ts";
import { SpawnError, spawnAndWait } from "./shim.ts";

export { FORWARDED_SIGNALS, IGNORED_SIGNALS, spawnAndWait } from "./shim.ts";

const DEPTH_VAR = "CCP_RUN_DEPTH";
/** Same name as in statusline.ts (not imported: the shim stays lean). */
const RUN_SESSION_VAR = "CCP_RUN_SESSION";
const MAX_DEPTH = 4;
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
export function launchEnv(env: Env, configDir: string, sessionRowId?: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env.raw)) if (v !== undefined && k !== "CLAUDE_CONFIG_DIR") out[k] = v;
  // Lets `ccp statusline` tie Claude Code's session id to this launch (for continuing elsewhere).
  if (sessionRowId === undefined) delete out[RUN_SESSION_VAR];
  else out[RUN_SESSION_VAR] = String(sessionRowId);
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
): Promise<LaunchRecord> {
  const record = await prepareAccountFiles(env, account.configDir);
  try {
    await refreshForLaunch(env, db, account, ownSessionId);
  } catch (error) {
    // The login is claude's to use either way; a failed check must not stop the launch.
    log.dim(`Could not check ${account.name}'s login before starting (${(error as Error).message}).`);
  }
  return record;
}

/** Where the file store writes a credential, and the prefix of its temp files and claude's. */
const CREDENTIALS_FILE = ".credentials.json";

/**
 * False only when no interrupted credential write can be there: the Keychain store leaves no temp
 * files, and the file store's (and claude's) sit beside `.credentials.json` as
 * `.credentials.json.<…>`. A linked credential file, or a dir that cannot be listed, leaves it to
 * the full recovery check.
 */
export function mayHoldInterruptedWrite(env: Pick<Env, "secretStore">, configDir: string): boolean {
  if (env.secretStore !== "file") return false;
  try {
    const credential = lstatPath(join(configDir, CREDENTIALS_FILE));
    if (credential !== undefined && isSymlink(credential)) return true;
    const entries = readDirEntries(configDir);
    if (entries === undefined) return true;
    return entries.some((entry) => entry.name.startsWith(`${CREDENTIALS_FILE}.`));
  } catch {
    return true;
  }
}

/**
 * A token is refreshed on the launch path only when it would not even last until claude starts:
 * a still-valid token is claude's to refresh (it does so itself, under the same locks). An
 * interrupted credential write is recovered first, whatever else runs.
 */
async function refreshForLaunch(env: Env, db: Db, account: AccountRow, ownSessionId: number): Promise<void> {
  // The common case costs a readdir: nothing to recover and a daemon that keeps logins fresh, so
  // the credential code is not even loaded.
  if (!mayHoldInterruptedWrite(env, account.configDir) && daemonAlive(db, Date.now())) return;
  // One round of imports, not two in a row: each awaited import() is a step before the spawn.
  const [{ createCredentialStore }, { expiresSoon, recoverAccount, refreshIdleAccount }] = await Promise.all([
    import("../secrets/index.ts"),
    import("./refresh.ts"),
  ]);
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

function announce(env: Env, selection: Selection, record: LaunchRecord): void {
  log.info(announceLine(selection));
  const warning = selection.decision.warning;
  if (warning) log.warn(warning);
  const label = selection.account.email ?? selection.account.name;
  const sources = { env: env.raw, configDir: selection.account.configDir };
  for (const override of findLoginOverridesForLaunch(sources, record)) {
    log.warn(overrideWarning(override, label));
  }
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
  /** Force this account (id or name); default CCP_ACCOUNT. */
  forced?: string;
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
      forced: options.forced ?? env.forcedAccount,
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
  let continued: number | null = null;
  let dbOpen = true;
  const closeDb = (): void => {
    if (!dbOpen) return;
    dbOpen = false;
    db.close();
  };
  try {
    try {
      const record = await prepareAccount(env, db, account, sessionId);
      announce(env, selection, record);
      record.save();
      const childEnv = launchEnv(env, account.configDir, sessionId);
      // The announcement reaches the terminal before claude draws on it.
      await flushOutput();
      // spawnAndWait starts claude before its first await; closing the last handle on the pool
      // checkpoints the WAL (~0.7 ms), which can as well happen while claude starts.
      const waiting = spawnAndWait(claudeBin, options.claudeArgs, childEnv, options.cwd);
      closeDb();
      exitCode = await waiting;
    } catch (error) {
      if (!(error instanceof SpawnError)) throw error;
      throw new CcpError("claude-missing", error.message, {
        hint: "Check CCP_CLAUDE_BIN or your PATH.",
        exitCode: 127,
      });
    } finally {
      closeDb();
    }
  } finally {
    continued = await afterClaude(env, session, exitCode);
  }
  return continued ?? (exitCode as number);
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
): Promise<number | null> {
  try {
    await checkIn(env, session.sessionId, session.accountId, session.cwd, exitCode);
  } finally {
    await checkInAccountFiles(env, session.configDir);
  }
  if (exitCode === null) return null;
  return continueElsewhere(env, session);
}

/**
 * When the session's account is now exhausted, offers to resume the conversation on another one
 * (continue.ts, loaded only now). Returns the continued session's status, or null for none.
 */
async function continueElsewhere(env: Env, session: LaunchedSession): Promise<number | null> {
  if (env.continueMode === "off") return null;
  let next: Awaited<ReturnType<typeof import("./continue.ts").offerContinue>>;
  try {
    const { offerContinue } = await import("./continue.ts");
    next = await offerContinue(env, {
      sessionRowId: session.sessionId,
      accountId: session.accountId,
      cwd: session.cwd,
    });
  } catch (error) {
    log.dim(`Could not check whether to continue on another account: ${(error as Error).message}`);
    return null;
  }
  if (!next) return null;
  return launch(env, {
    claudeArgs: ["--resume", next.claudeSessionId],
    cwd: session.cwd,
    forced: String(next.account.id),
  });
}
