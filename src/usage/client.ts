import { type AnthropicEndpoint, UsageError } from "./errors.ts";
import {
  claudeUserAgent,
  type HttpAnswer,
  type HttpOptions,
  jsonBody,
  OAUTH_BETA_HEADER,
  sendRequest,
  statusError,
} from "./http.ts";
import {
  PayloadError,
  type ProfileInfo,
  parseProfilePayload,
  parseUsagePayload,
  type UsageSnapshot,
} from "./payloads.ts";

export type { HttpOptions } from "./http.ts";

/** The headers Claude Code's own client sends to the OAuth API. */
export function oauthHeaders(accessToken: string, claudeVersion?: string): Record<string, string> {
  return {
    Authorization: `Bearer ${accessToken}`,
    "anthropic-beta": OAUTH_BETA_HEADER,
    Accept: "application/json",
    "User-Agent": claudeUserAgent(claudeVersion),
  };
}

function parsed<T>(
  answer: HttpAnswer,
  endpoint: AnthropicEndpoint,
  nowMs: number,
  parse: (json: unknown) => T,
): T {
  if (answer.status < 200 || answer.status > 299) throw statusError(answer, endpoint, nowMs);
  const json = jsonBody(answer, endpoint);
  try {
    return parse(json);
  } catch (error) {
    if (error instanceof PayloadError) {
      throw new UsageError("contract", { endpoint, status: answer.status, detail: error.detail });
    }
    throw error;
  }
}

async function getOAuth<T>(
  endpoint: AnthropicEndpoint,
  url: string,
  accessToken: string,
  options: HttpOptions,
  parse: (json: unknown) => T,
): Promise<T> {
  const answer = await sendRequest(
    { endpoint, url, method: "GET", headers: oauthHeaders(accessToken, options.claudeVersion) },
    options,
  );
  return parsed(answer, endpoint, (options.now ?? Date.now)(), parse);
}

/** `GET /api/oauth/usage` (the URL comes from env.usageUrl). Throws UsageError. */
export function fetchUsage(
  url: string,
  accessToken: string,
  options: HttpOptions = {},
): Promise<UsageSnapshot> {
  return getOAuth("usage", url, accessToken, options, parseUsagePayload);
}

/** `GET /api/oauth/profile` (the URL comes from env.profileUrl): who the token belongs to. Throws UsageError. */
export function fetchProfile(
  url: string,
  accessToken: string,
  options: HttpOptions = {},
): Promise<ProfileInfo> {
  return getOAuth("profile", url, accessToken, options, parseProfilePayload);
}
