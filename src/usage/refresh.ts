// A refresh of one account's OAuth token, carried out through the credential write protocol
// (src/secrets/credential-write.ts): this file supplies the decision (is a refresh due?) and the
// network step; the protocol owns locks, recovery, space, compare-and-swap and the write.
import {
  type CredentialOutcome,
  changeCredential,
  DEFAULT_LOCK_WAIT_MS,
  OWN_LOCK_STALE_MS,
  type SpendResult,
} from "../secrets/credential-write.ts";
import type { CredentialStore } from "../secrets/types.ts";
import { isUsageError, type UsageError } from "./errors.ts";
import type { HttpOptions } from "./http.ts";
import { CLAUDE_LOCK_STALE_MS, CLAUDE_REFRESH_LOCK_NAME } from "./lock-dir.ts";
import { applyTokenGrant, requestTokenRefresh, TOKEN_REQUEST_TIMEOUT_MS } from "./token.ts";

export { CLAUDE_LOCK_STALE_MS, CLAUDE_REFRESH_LOCK_NAME, OWN_LOCK_STALE_MS };
export const DEFAULT_REFRESH_IF_EXPIRES_WITHIN_MS = 10 * 60_000;

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
  /** `CLAUDE_CODE_OAUTH_CLIENT_ID`, used when the blob has no `clientId`. */
  envClientId?: string;
  now?: () => number;
  /** Wait for each lock (cc-pool's, claude's). Default 30 s. */
  lockWaitMs?: number;
  claudeLockStaleMs?: number;
  ownLockStaleMs?: number;
}

export type RefreshOutcome = CredentialOutcome;

// The request never left this machine: nothing can have been spent.
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ConnectionRefused",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "FailedToOpenSocket",
]);

/** How a failed token request changes what we know about the chain. */
export function classifyTokenError(error: UsageError): SpendResult {
  switch (error.kind) {
    case "invalid-grant":
      return { kind: "invalid-grant" };
    case "timeout":
      return { kind: "outcome", outcome: { status: "outcome-unknown", message: error.message } };
    case "network":
      if (NOT_SENT.has(error.detail ?? ""))
        return { kind: "outcome", outcome: { status: "transient", kind: "network", message: error.message } };
      return { kind: "outcome", outcome: { status: "outcome-unknown", message: error.message } };
    case "contract":
      // A 2xx whose body could not be read: the server has most likely rotated the chain.
      return { kind: "outcome", outcome: { status: "outcome-unknown", message: error.message } };
    default:
      return {
        kind: "outcome",
        outcome: { status: "transient", kind: error.kind, message: error.message },
      };
  }
}

/**
 * Refreshes an idle account's OAuth token the way Claude Code would, without racing it, under the
 * credential write protocol. A refresh already done by someone else is adopted, not repeated.
 */
export async function refreshAccountToken(options: RefreshAccountOptions): Promise<RefreshOutcome> {
  const now = options.now ?? Date.now;
  return changeCredential(
    {
      configDir: options.configDir,
      store: options.store,
      lockPath: options.lockPath,
      lockWaitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
      claudeLockStaleMs: options.claudeLockStaleMs,
      ownLockStaleMs: options.ownLockStaleMs,
      now,
    },
    (blob) => {
      const oauth = blob?.claudeAiOauth;
      if (!blob || !oauth?.accessToken) return { kind: "done", outcome: { status: "no-credential" } };
      if (options.seenAccessToken !== undefined && oauth.accessToken !== options.seenAccessToken)
        return { kind: "done", outcome: { status: "skipped-fresh", reason: "rotated-elsewhere" } };
      const refreshToken = oauth.refreshToken;
      if (!refreshToken)
        return { kind: "done", outcome: { status: "skipped-fresh", reason: "no-refresh-token" } };
      const withinMs = options.refreshIfExpiresWithinMs ?? DEFAULT_REFRESH_IF_EXPIRES_WITHIN_MS;
      if (!options.force && typeof oauth.expiresAt === "number" && oauth.expiresAt - now() > withinMs)
        return { kind: "done", outcome: { status: "skipped-fresh", reason: "fresh" } };
      const size = JSON.stringify(blob).length;
      return {
        kind: "spend",
        // Room for a blob twice as large as today's (longer tokens, new fields).
        reserveBytes: 2 * size + 4096,
        spend: async (): Promise<SpendResult> => {
          // The server counts the lifetime from when it answers; counting from before the request errs early.
          const requestedAtMs = now();
          try {
            const grant = await requestTokenRefresh(options.tokenUrl, refreshToken, {
              ...options,
              timeoutMs: options.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS,
              shape: {
                clientId: typeof oauth.clientId === "string" ? oauth.clientId : undefined,
                scopes: oauth.scopes,
                envClientId: options.envClientId,
                subscriptionType: oauth.subscriptionType,
              },
            });
            const next = applyTokenGrant(blob, grant, requestedAtMs);
            return { kind: "blob", blob: next, expiresAtMs: next.claudeAiOauth?.expiresAt ?? requestedAtMs };
          } catch (error) {
            if (!isUsageError(error)) throw error;
            return classifyTokenError(error);
          }
        },
      };
    },
  );
}

/** One line for CLI messages and logs, e.g. `token refreshed` or `refresh token rejected: log in again`. */
export function describeRefreshOutcome(outcome: RefreshOutcome): string {
  const recovered = outcome.recovery?.adopted ? " (recovered an interrupted write first)" : "";
  switch (outcome.status) {
    case "rotated":
      return `token refreshed${recovered}`;
    case "skipped-fresh":
      if (outcome.reason === "rotated-elsewhere") return `token was already refreshed elsewhere${recovered}`;
      if (outcome.reason === "fresh") return `token still valid, no refresh needed${recovered}`;
      return "no refresh token stored: log the account in again to keep it alive";
    case "kept-newer":
      return "a newer login was stored meanwhile and kept; this refresh was discarded";
    case "recovered":
      return "recovered the credential from an interrupted write";
    case "outcome-unknown":
      return `refresh outcome unknown (${outcome.message}); the stored login was left as it is and is checked before anything else`;
    case "needs-login":
      return "refresh token rejected (invalid_grant): log the account in again";
    case "transient":
      return `refresh failed for now (${outcome.kind}): ${outcome.message}`;
    case "no-credential":
      return "no stored credential: log the account in";
  }
}
