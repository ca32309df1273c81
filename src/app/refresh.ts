import { readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Env } from "../env.ts";
import { type CredentialOutcome, recoverIfInterrupted } from "../secrets/credential-write.ts";
import type { CredentialStore } from "../secrets/types.ts";
import { type AccountRow, accountDirName } from "../store/accounts.ts";
import { type Db, writeTx } from "../store/db.ts";
import { updateHealth } from "../store/health.ts";
// The token request code (HTTP, payload schemas) is loaded only when a token is refreshed: `ccp run`
// imports this module to check the stored token before claude starts.
import type { RefreshOutcome } from "../usage/refresh.ts";
import { findClaude } from "./claude-bin.ts";

export function refreshLockPath(env: Env, accountId: number): string {
  return join(env.ccpHome, "locks", `${accountDirName(accountId)}.refresh.lock`);
}

/** True when the stored access token expires within `withinMsIn` (default: the daemon's margin) or its expiry is unknown. */
export async function expiresSoon(
  store: CredentialStore,
  configDir: string,
  nowMs: number,
  withinMsIn?: number,
): Promise<boolean> {
  return nowMs > (await refreshDueAtMs(store, configDir, withinMsIn));
}

/**
 * From when on the stored access token expires within `withinMsIn` (default: the daemon's margin):
 * -Infinity when its expiry is unknown, +Infinity when there is nothing to refresh (no login, or no
 * refresh token).
 */
export async function refreshDueAtMs(
  store: CredentialStore,
  configDir: string,
  withinMsIn?: number,
): Promise<number> {
  const withinMs = withinMsIn ?? (await import("../usage/refresh.ts")).DEFAULT_REFRESH_IF_EXPIRES_WITHIN_MS;
  const oauth = (await store.read(configDir))?.claudeAiOauth;
  if (!oauth?.refreshToken) return Number.POSITIVE_INFINITY;
  return typeof oauth.expiresAt !== "number" ? Number.NEGATIVE_INFINITY : oauth.expiresAt - withinMs;
}

let versionCache: { bin: string; version: string | undefined } | undefined;

/**
 * The installed claude's version, for a User-Agent like claude's own, without running it: the
 * native installer names the binary after its version; npm installs carry a package.json.
 */
export function installedClaudeVersion(env: Env): string | undefined {
  let bin: string;
  try {
    bin = realpathSync(findClaude(env));
  } catch {
    return undefined;
  }
  if (versionCache?.bin === bin) return versionCache.version;
  let version: string | undefined;
  if (/^\d+\.\d+\.\d+$/.test(basename(bin))) version = basename(bin);
  for (let dir = dirname(bin), i = 0; version === undefined && i < 3; dir = dirname(dir), i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (
        typeof pkg.name === "string" &&
        pkg.name.startsWith("@anthropic-ai/claude-code") &&
        typeof pkg.version === "string" &&
        /^\d+\.\d+\.\d+/.test(pkg.version)
      )
        version = pkg.version;
    } catch {
      // No package.json here: look one level up.
    }
  }
  versionCache = { bin, version };
  return version;
}

/**
 * Records a protocol outcome (refresh log and login health). Never throws: the credential is what
 * matters and it is already stored; a full or locked database must not turn a good refresh into
 * a failed command.
 */
export function recordCredentialOutcome(
  db: Db,
  accountId: number,
  outcome: CredentialOutcome,
  atMs: number,
): boolean {
  try {
    writeTx(db, () => {
      const detail =
        outcome.status === "transient" || outcome.status === "outcome-unknown"
          ? outcome.message
          : outcome.status === "skipped-fresh"
            ? outcome.reason
            : outcome.recovery?.adopted
              ? "recovered an interrupted write"
              : null;
      db.run("INSERT INTO refresh_log (account_id, at_ms, outcome, detail) VALUES (?, ?, ?, ?)", [
        accountId,
        atMs,
        outcome.status,
        detail,
      ]);
      switch (outcome.status) {
        case "rotated":
        case "recovered":
        case "kept-newer":
          updateHealth(db, accountId, atMs, { refreshFailed: false, needsLogin: false, lastError: null });
          break;
        case "needs-login":
          updateHealth(db, accountId, atMs, {
            needsLogin: true,
            refreshFailed: true,
            lastError: "the login was revoked (invalid_grant)",
          });
          break;
        case "transient":
          updateHealth(db, accountId, atMs, { refreshFailed: true, lastError: outcome.message });
          break;
        case "outcome-unknown":
          updateHealth(db, accountId, atMs, {
            refreshFailed: true,
            lastError: "the last token refresh got no answer; the login is checked before the next one",
          });
          break;
        default:
          break;
      }
    });
    return true;
  } catch {
    // A removed account (foreign key), a full disk or a database locked for too long.
    return false;
  }
}

/** Recovers an interrupted credential write on access to an account; records it when it happened. */
export async function recoverAccount(
  env: Env,
  db: Db | null,
  store: CredentialStore,
  account: AccountRow,
): Promise<CredentialOutcome | undefined> {
  const outcome = await recoverIfInterrupted({
    configDir: account.configDir,
    store,
    lockPath: refreshLockPath(env, account.id),
  });
  if (outcome && db) recordCredentialOutcome(db, account.id, outcome, Date.now());
  return outcome;
}

/**
 * Refreshes an idle account's token when it is about to expire, and records the outcome. Callers
 * must have checked that no session runs on the account: a session owns its own refresh.
 */
export async function refreshIdleAccount(
  env: Env,
  db: Db,
  store: CredentialStore,
  account: AccountRow,
  options: {
    force?: boolean;
    now?: () => number;
    timeoutMs?: number;
    refreshIfExpiresWithinMs?: number;
    lockWaitMs?: number;
  } = {},
): Promise<RefreshOutcome> {
  const now = options.now ?? Date.now;
  const { refreshAccountToken } = await import("../usage/refresh.ts");
  const outcome = await refreshAccountToken({
    configDir: account.configDir,
    store,
    tokenUrl: env.tokenUrl,
    lockPath: refreshLockPath(env, account.id),
    force: options.force,
    now,
    timeoutMs: options.timeoutMs,
    refreshIfExpiresWithinMs: options.refreshIfExpiresWithinMs,
    lockWaitMs: options.lockWaitMs,
    claudeVersion: installedClaudeVersion(env),
    envClientId: env.raw.CLAUDE_CODE_OAUTH_CLIENT_ID,
  });
  recordCredentialOutcome(db, account.id, outcome, now());
  return outcome;
}
