import { formatDuration } from "../duration.ts";
import { CcpError, type CcpErrorCode } from "../errors.ts";

/**
 * Every way a call to Anthropic's usage, profile or token endpoint can fail. `invalid-grant` comes
 * only from the token endpoint and is the one answer that means "this account needs a new login".
 */
export type UsageErrorKind =
  | "rate-limited"
  | "unauthorized"
  | "network"
  | "timeout"
  | "server"
  | "contract"
  | "http"
  | "invalid-grant";

/** Which endpoint failed, for messages. */
export type AnthropicEndpoint = "usage" | "profile" | "token";

export interface UsageErrorDetails {
  endpoint: AnthropicEndpoint;
  /** HTTP status when the server answered. */
  status?: number | null;
  /** From `Retry-After` (seconds or HTTP-date); rate-limited only, null when absent. */
  retryAfterMs?: number | null;
  /** For timeouts: the limit that was exceeded. */
  timeoutMs?: number | null;
  /** The technical detail behind the kind, e.g. `ECONNREFUSED` or `five_hour.utilization: expected number`. */
  detail?: string | null;
}

const ENDPOINT_NAMES: Record<AnthropicEndpoint, string> = {
  usage: "usage request",
  profile: "profile request",
  token: "token refresh",
};

// OAuth tokens look like sk-ant-oat01-… / sk-ant-ort01-…; anything shaped like one is cut out.
const TOKEN_PATTERN = /sk-ant-[A-Za-z0-9_-]+/g;

/** Removes anything that looks like an Anthropic token, plus the given exact secrets, from `text`. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  return out.replace(TOKEN_PATTERN, "[redacted]");
}

function ccpCode(kind: UsageErrorKind): CcpErrorCode {
  switch (kind) {
    case "unauthorized":
    case "invalid-grant":
      return "credential";
    case "contract":
    case "http":
      return "failure";
    default:
      return "network";
  }
}

/** A failed call to an Anthropic endpoint. Its message never contains a token. */
export class UsageError extends CcpError {
  readonly kind: UsageErrorKind;
  readonly endpoint: AnthropicEndpoint;
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly timeoutMs: number | null;
  readonly detail: string | null;

  constructor(kind: UsageErrorKind, details: UsageErrorDetails) {
    const detail = details.detail == null ? null : redactSecrets(details.detail);
    const full = { ...details, detail };
    super(ccpCode(kind), usageErrorMessage(kind, full), { hint: usageErrorHint(kind) });
    this.name = "UsageError";
    this.kind = kind;
    this.endpoint = details.endpoint;
    this.status = details.status ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.timeoutMs = details.timeoutMs ?? null;
    this.detail = detail;
  }
}

export function isUsageError(value: unknown): value is UsageError {
  return value instanceof UsageError;
}

function usageErrorMessage(kind: UsageErrorKind, d: UsageErrorDetails): string {
  const what = ENDPOINT_NAMES[d.endpoint];
  const capitalised = what.charAt(0).toUpperCase() + what.slice(1);
  return `${capitalised} failed: ${describeKind(kind, d)}.`;
}

function describeKind(kind: UsageErrorKind, d: UsageErrorDetails): string {
  const status = d.status == null ? "" : ` (HTTP ${d.status})`;
  switch (kind) {
    case "rate-limited":
      return d.retryAfterMs == null
        ? `rate-limited by Anthropic${status}`
        : `rate-limited by Anthropic${status}, retry in ${formatWait(d.retryAfterMs)}`;
    case "unauthorized":
      return `the access token was rejected${status}`;
    case "network":
      return `could not reach Anthropic${d.detail ? ` (${d.detail})` : ""}`;
    case "timeout":
      return d.timeoutMs == null ? "no answer in time" : `no answer within ${formatWait(d.timeoutMs)}`;
    case "server":
      return `Anthropic had a server error${status}`;
    case "contract":
      return `unexpected answer${d.detail ? `: ${d.detail}` : ""}`;
    case "http":
      return `unexpected HTTP status${status}${d.detail ? `: ${d.detail}` : ""}`;
    case "invalid-grant":
      return "the refresh token is no longer valid (invalid_grant)";
  }
}

function formatWait(ms: number): string {
  if (ms < 1000) return ms <= 0 ? "0s" : `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  return formatDuration(ms);
}

/** What the user should do about a failure of this kind; printed under the message. */
export function usageErrorHint(kind: UsageErrorKind): string {
  switch (kind) {
    case "rate-limited":
      return "Anthropic limits how often usage can be read; cc-pool keeps the last known values and retries later.";
    case "unauthorized":
      return "The account's token may have been rotated or revoked; if this persists, log the account in again.";
    case "network":
      return "Check the network connection (and any proxy); cc-pool retries on its own.";
    case "timeout":
      return "Anthropic did not answer in time; cc-pool retries on its own.";
    case "server":
      return "This is on Anthropic's side; cc-pool retries on its own.";
    case "contract":
      return "Anthropic's answer did not have the expected shape; a cc-pool update may be needed.";
    case "http":
      return "Check CCP_USAGE_URL / CCP_TOKEN_URL if they are set; otherwise a cc-pool update may be needed.";
    case "invalid-grant":
      return "Log this account in again (`claude /login` with CLAUDE_CONFIG_DIR set to its config dir).";
  }
}

/**
 * A short phrase for tables and status lines, e.g. `rate-limited (retry in 30s)` or
 * `unexpected answer: five_hour.utilization: expected number`. Accepts any thrown value.
 */
export function describeUsageError(error: unknown): string {
  if (!isUsageError(error)) {
    return error instanceof Error ? redactSecrets(error.message) : "unknown error";
  }
  switch (error.kind) {
    case "rate-limited":
      return error.retryAfterMs == null
        ? "rate-limited"
        : `rate-limited (retry in ${formatWait(error.retryAfterMs)})`;
    case "unauthorized":
      return `token rejected (HTTP ${error.status ?? 401})`;
    case "network":
      return error.detail ? `network error (${error.detail})` : "network error";
    case "timeout":
      return error.timeoutMs == null ? "timed out" : `timed out after ${formatWait(error.timeoutMs)}`;
    case "server":
      return `server error (HTTP ${error.status ?? 500})`;
    case "contract":
      return error.detail ? `unexpected answer: ${error.detail}` : "unexpected answer";
    case "http":
      return `HTTP ${error.status ?? "error"}`;
    case "invalid-grant":
      return "needs login (refresh token rejected)";
  }
}
