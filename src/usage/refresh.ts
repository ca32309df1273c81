import { join } from "node:path";
import type { CredentialBlob, CredentialStore } from "../secrets/types.ts";
import { isUsageError, redactSecrets, type UsageErrorKind } from "./errors.ts";
import type { HttpOptions } from "./http.ts";
import { acquireLockDir, type HeldLock } from "./lock-dir.ts";
import { applyTokenGrant, requestTokenRefresh, type TokenGrant } from "./token.ts";

/** Claude Code's own refresh lock, inside the account's config dir. */
export const CLAUDE_REFRESH_LOCK_NAME = ".oauth_refresh.lock";
/** Claude Code treats its lock as abandoned after about this long. */
export const CLAUDE_LOCK_STALE_MS = 10_000;
export const OWN_LOCK_STALE_MS = 60_000;
export const DEFAULT_REFRESH_IF_EXPIRES_WITHIN_MS = 10 * 60_000;
// Longer than CLAUDE_LOCK_STALE_MS, so a lock left by a crashed claude is taken over rather than waited out.
export const DEFAULT_CLAUDE_LOCK_WAIT_MS = 12_000;
export const DEFAULT_OWN_LOCK_WAIT_MS = 30_000;

export interface RefreshAccountOptions extends HttpOptions {
  /** The account's config dir, exactly as exported as CLAUDE_CONFIG_DIR. */
  configDir: string;
  store: CredentialStore;
  tokenUrl: string;
  /** cc-pool's per-account lock dir, e.g. `$CCP_HOME/locks/acct-01.refresh.lock`. */
  lockPath: string;
  /** The access token the caller saw; if the stored one differs, someone already rotated it. */
  seenAccessToken?: string;
  /** Refresh only when the token expires within this window. Default 10 min. */
  refreshIfExpiresWithinMs?: number;
  /** Refresh even when the expiry looks far enough away (e.g. after a 401). A rotation still wins. */
  force?: boolean;
  now?: () => number;
  claudeLockWaitMs?: number;
  ownLockWaitMs?: number;
  claudeLockStaleMs?: number;
  ownLockStaleMs?: number;
}

export type RefreshTransientKind =
  | Exclude<UsageErrorKind, "invalid-grant">
  | "lock-busy"
  | "lock-failed"
  | "credential-store";

/** What happened; never carries a token. Only `invalid-grant` means the account needs a new login. */
export type RefreshOutcome =
  | { status: "refreshed"; newExpiresAtMs: number }
  | { status: "skipped"; reason: "rotated" | "fresh" | "no-refresh-token" }
  | { status: "invalid-grant" }
  | { status: "transient"; kind: RefreshTransientKind; message: string }
  | { status: "no-credential" };

function messageOf(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

async function takeLock(
  path: string,
  staleMs: number,
  waitMs: number,
  own: boolean,
): Promise<HeldLock | Extract<RefreshOutcome, { status: "transient" }>> {
  try {
    const lock = await acquireLockDir({ path, staleMs, waitMs, pidFile: own, createParents: own });
    if (lock) return lock;
    const holder = own ? "Another cc-pool process" : "Claude Code";
    return {
      status: "transient",
      kind: "lock-busy",
      message: `${holder} is refreshing this account (lock ${path} is held).`,
    };
  } catch (error) {
    return {
      status: "transient",
      kind: "lock-failed",
      message: `Cannot take the refresh lock ${path}: ${messageOf(error)}`,
    };
  }
}

/**
 * Refreshes an idle account's OAuth token the way Claude Code would, without racing it: under
 * cc-pool's per-account lock and Claude Code's `.oauth_refresh.lock`, re-reading the credential
 * once both are held and skipping the network call when someone else already rotated it. Both
 * locks are always released.
 */
export async function refreshAccountToken(options: RefreshAccountOptions): Promise<RefreshOutcome> {
  const own = await takeLock(
    options.lockPath,
    options.ownLockStaleMs ?? OWN_LOCK_STALE_MS,
    options.ownLockWaitMs ?? DEFAULT_OWN_LOCK_WAIT_MS,
    true,
  );
  if ("status" in own) return own;
  try {
    const claude = await takeLock(
      join(options.configDir, CLAUDE_REFRESH_LOCK_NAME),
      options.claudeLockStaleMs ?? CLAUDE_LOCK_STALE_MS,
      options.claudeLockWaitMs ?? DEFAULT_CLAUDE_LOCK_WAIT_MS,
      false,
    );
    if ("status" in claude) return claude;
    try {
      return await refreshLocked(options);
    } finally {
      await claude.release().catch(() => undefined);
    }
  } finally {
    await own.release().catch(() => undefined);
  }
}

type ReadResult = { ok: true; blob: CredentialBlob | undefined } | { ok: false; outcome: RefreshOutcome };

async function readBlob(options: RefreshAccountOptions): Promise<ReadResult> {
  try {
    return { ok: true, blob: await options.store.read(options.configDir) };
  } catch (error) {
    return {
      ok: false,
      outcome: { status: "transient", kind: "credential-store", message: messageOf(error) },
    };
  }
}

async function refreshLocked(options: RefreshAccountOptions): Promise<RefreshOutcome> {
  const now = options.now ?? Date.now;
  const read = await readBlob(options);
  if (!read.ok) return read.outcome;
  const blob = read.blob;
  const oauth = blob?.claudeAiOauth;
  if (!blob || !oauth?.accessToken) return { status: "no-credential" };
  if (options.seenAccessToken !== undefined && oauth.accessToken !== options.seenAccessToken) {
    return { status: "skipped", reason: "rotated" };
  }
  const refreshToken = oauth.refreshToken;
  if (!refreshToken) return { status: "skipped", reason: "no-refresh-token" };
  const withinMs = options.refreshIfExpiresWithinMs ?? DEFAULT_REFRESH_IF_EXPIRES_WITHIN_MS;
  if (!options.force && typeof oauth.expiresAt === "number" && oauth.expiresAt - now() > withinMs) {
    return { status: "skipped", reason: "fresh" };
  }

  // The server counts the lifetime from when it answers; counting from before the request errs early.
  const requestedAtMs = now();
  let grant: TokenGrant;
  try {
    grant = await requestTokenRefresh(options.tokenUrl, refreshToken, options);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    if (error.kind !== "invalid-grant")
      return { status: "transient", kind: error.kind, message: error.message };
    // A process that ignores the locks may have rotated the chain meanwhile: then the account is fine.
    const again = await readBlob(options);
    const againToken = again.ok ? again.blob?.claudeAiOauth?.refreshToken : undefined;
    if (againToken && againToken !== refreshToken) return { status: "skipped", reason: "rotated" };
    return { status: "invalid-grant" };
  }

  const next = applyTokenGrant(blob, grant, requestedAtMs);
  try {
    await options.store.write(options.configDir, next);
  } catch (error) {
    return {
      status: "transient",
      kind: "credential-store",
      message: `The token was refreshed but could not be saved: ${messageOf(error)}`,
    };
  }
  return { status: "refreshed", newExpiresAtMs: next.claudeAiOauth?.expiresAt ?? requestedAtMs };
}

/** One line for CLI messages and logs, e.g. `token refreshed` or `refresh token rejected: log in again`. */
export function describeRefreshOutcome(outcome: RefreshOutcome): string {
  switch (outcome.status) {
    case "refreshed":
      return "token refreshed";
    case "skipped":
      if (outcome.reason === "rotated") return "token was already refreshed elsewhere";
      if (outcome.reason === "fresh") return "token still valid, no refresh needed";
      return "no refresh token stored: log the account in again to keep it alive";
    case "invalid-grant":
      return "refresh token rejected (invalid_grant): log the account in again";
    case "transient":
      return `refresh failed for now (${outcome.kind}): ${outcome.message}`;
    case "no-credential":
      return "no stored credential: log the account in";
  }
}
