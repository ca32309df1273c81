import type { CredentialBlob, OAuthCredential } from "../secrets/types.ts";
import { UsageError } from "./errors.ts";
import { claudeUserAgent, type HttpOptions, jsonBody, sendRequest, statusError } from "./http.ts";
import { PayloadError, parseTokenPayload, type TokenGrant } from "./payloads.ts";

export type { TokenGrant } from "./payloads.ts";

/** Claude Code's public OAuth client id. */
export const CLAUDE_OAUTH_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/** Claude Code's default scopes, sent when a blob lists none (2.1.332). */
export const CLAUDE_DEFAULT_SCOPES = [
  "user:profile",
  "user:inference",
  "user:sessions:claude_code",
  "user:mcp_servers",
  "user:file_upload",
  "user:plugins",
] as const;

/** Claude Code waits this long for the token endpoint; a shorter wait would abandon answers it gets. */
export const TOKEN_REQUEST_TIMEOUT_MS = 30_000;

export interface RefreshRequestShape {
  /** The blob's `clientId`, if any: it wins over everything. */
  clientId?: string;
  /** The blob's scopes; Claude Code's defaults when empty. */
  scopes?: readonly string[];
  /** `CLAUDE_CODE_OAUTH_CLIENT_ID` from the environment. */
  envClientId?: string;
  /** The blob's subscriptionType: a claude.ai login. */
  subscriptionType?: string | null;
}

/**
 * The JSON body Claude Code 2.1.332 posts for a refresh, for the same blob and environment: a
 * claude.ai login on its own client (inference scope or a subscription, no stored clientId) asks
 * for the default scopes plus any others the blob has; any other blob asks for exactly its own.
 */
export function refreshRequestBody(
  refreshToken: string,
  shape: RefreshRequestShape = {},
): Record<string, string> {
  const own = shape.scopes ?? [];
  const claudeAi = !shape.clientId && (own.includes("user:inference") || Boolean(shape.subscriptionType));
  const scopes = claudeAi
    ? [...new Set([...CLAUDE_DEFAULT_SCOPES, ...own])]
    : own.length > 0
      ? own
      : CLAUDE_DEFAULT_SCOPES;
  const clientId =
    (shape.clientId && shape.clientId !== "" ? shape.clientId : undefined) ??
    (shape.envClientId && shape.envClientId !== "" ? shape.envClientId : undefined) ??
    CLAUDE_OAUTH_CLIENT_ID;
  return {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: clientId,
    scope: scopes.join(" "),
  };
}

/** Used when a token answer has no usable `expires_in`: short, so claude refreshes early rather than late. */
export const FALLBACK_EXPIRES_IN_S = 3600;

function oauthErrorCode(text: string): string | null {
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === "object" && "error" in json && typeof json.error === "string") {
      // Only a short identifier is kept; error_description is free text and never shown.
      return /^[a-z0-9_.-]{1,64}$/i.test(json.error) ? json.error : null;
    }
  } catch {
    // Not JSON: no OAuth error code.
  }
  return null;
}

/**
 * `POST` the refresh grant to the token URL. Never retried here: a refresh token is single-use and
 * a replay would kill the chain. Throws UsageError; kind `invalid-grant` only for a 400 carrying
 * `{"error":"invalid_grant"}`.
 */
export async function requestTokenRefresh(
  tokenUrl: string,
  refreshToken: string,
  options: HttpOptions & { shape?: RefreshRequestShape } = {},
): Promise<TokenGrant> {
  const answer = await sendRequest(
    {
      endpoint: "token",
      url: tokenUrl,
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "User-Agent": claudeUserAgent(options.claudeVersion),
      },
      body: refreshRequestBody(refreshToken, options.shape),
    },
    { ...options, timeoutMs: options.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS },
  );
  if (answer.status < 200 || answer.status > 299) {
    const code = answer.body.ok ? oauthErrorCode(answer.body.text) : null;
    if (answer.status === 400 && code === "invalid_grant") {
      throw new UsageError("invalid-grant", { endpoint: "token", status: 400 });
    }
    const error = statusError(answer, "token", (options.now ?? Date.now)());
    if (error.kind === "http" && code)
      throw new UsageError("http", { endpoint: "token", status: answer.status, detail: code });
    throw error;
  }
  try {
    return parseTokenPayload(jsonBody(answer, "token"));
  } catch (error) {
    if (error instanceof PayloadError)
      throw new UsageError("contract", { endpoint: "token", status: answer.status, detail: error.detail });
    throw error;
  }
}

/**
 * The blob to store after a refresh: every field of the old blob is kept (subscriptionType,
 * rateLimitTier, mcpOAuth, unknown keys); tokens, expiry and (when the answer lists them) scopes change.
 */
export function applyTokenGrant(blob: CredentialBlob, grant: TokenGrant, nowMs: number): CredentialBlob {
  const old: Partial<OAuthCredential> = blob.claudeAiOauth ?? {};
  const oauth: OAuthCredential = {
    ...old,
    accessToken: grant.accessToken,
    expiresAt: Math.round(nowMs + (grant.expiresInS ?? FALLBACK_EXPIRES_IN_S) * 1000),
  };
  const refreshToken = grant.refreshToken ?? old.refreshToken;
  if (refreshToken !== undefined) oauth.refreshToken = refreshToken;
  if (grant.scopes) oauth.scopes = grant.scopes;
  return { ...blob, claudeAiOauth: oauth };
}
