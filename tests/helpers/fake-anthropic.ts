// A stand-in for Anthropic on 127.0.0.1: the OAuth usage, profile and token endpoints, a streaming
// Messages API for the real claude CLI (via ANTHROPIC_BASE_URL), scripted faults, a request log
// and a control API so a test can steer a copy running in another process.
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Server } from "bun";

export const USAGE_PATH = "/api/oauth/usage";
export const PROFILE_PATH = "/api/oauth/profile";
export const TOKEN_PATH = "/v1/oauth/token";
export const MESSAGES_PATH = "/v1/messages";
/** Where `claude auth login` (claude.ai) sends the browser; the console login uses `/oauth/authorize`. */
export const AUTHORIZE_PATHS = ["/cai/oauth/authorize", "/oauth/authorize"];
export const ROLES_PATH = "/api/oauth/claude_cli/roles";
export const LOGIN_SUCCESS_PATH = "/oauth/code/success";
export const CONTROL_PREFIX = "/__control/";
export const FAKE_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
export const DEFAULT_EXPIRES_IN_S = 8 * 3600;
export const DEFAULT_SCOPE = "user:inference user:profile user:sessions:claude_code";
export const DEFAULT_MESSAGE_TEXT = "Hello from the fake Anthropic API.";

export type FaultMode =
  | "429"
  | "429-no-retry-after"
  | "400"
  | "401"
  | "403"
  | "404"
  | "500"
  | "503"
  | "invalid-grant"
  | "slow"
  | "slow-body"
  | "malformed-json"
  | "truncated"
  | "html"
  | "too-large"
  | "too-large-chunked"
  /** Token endpoint: rotate the chain at once, answer only after `delayMs` (even if the client gave up). */
  | "slow-rotate"
  /** Token endpoint: rotate the chain, then drop the connection without an answer. */
  | "rotate-drop";

export interface FaultOptions {
  /** How many matching requests get the fault; default 1. */
  count?: number | "forever";
  /** Exact path the fault applies to; default the usage endpoint. `*` matches every path. */
  path?: string;
  /** `Retry-After` for `429`; default `30`. */
  retryAfter?: string;
  /** For `slow` / `slow-body`: how long to hold the answer; default 30 s. */
  delayMs?: number;
}

export interface IssueTokenOptions {
  label?: string;
  /** Lifetime of the first access token; default 8 h. May be negative for an expired token. */
  expiresInMs?: number;
}

export interface IssuedToken {
  chainId: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms, as Claude Code stores it. */
  expiresAt: number;
}

export interface ChainInfo {
  chainId: string;
  label: string | null;
  /** False once a refresh token was reused or the chain was revoked. */
  alive: boolean;
  /** 1 for the issued pair, +1 per refresh. */
  generation: number;
  /** Successful refreshes. */
  refreshCount: number;
  /** invalid_grant answers caused by this chain's tokens. */
  invalidGrantCount: number;
  /** The newest pair; tests seed credential blobs from it. */
  current: IssuedToken;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** `<chainId>.a<generation>` (access) or `<chainId>.r<generation>` (refresh), `unknown`, or null when none was sent. */
  tokenId: string | null;
  chainId: string | null;
  userAgent: string | null;
  anthropicBeta: string | null;
  accept: string | null;
  status: number;
  fault: FaultMode | null;
  /** Token endpoint: the OAuth error returned, e.g. `invalid_grant`. */
  oauthError: string | null;
  /** Messages endpoint: the requested model. */
  model: string | null;
  /** Messages endpoint: the text of every message sent (so a test can see the conversation). */
  messageTexts: string[] | null;
  /** Messages endpoint: the `x-api-key` header was sent (an API key instead of the OAuth bearer). */
  apiKeySent: boolean;
  /** Token endpoint: the request's `client_id`, `scope` and content type, as sent. */
  clientId?: string | null;
  scope?: string | null;
  contentType?: string | null;
}

export interface TokenOptions {
  /** Hand out a new refresh token on every refresh (default true). When false the old one stays valid. */
  rotateRefreshToken?: boolean;
  expiresInS?: number;
  /** `scope` in the answer; null leaves it out. */
  scope?: string | null;
  /** Answer with the very refresh token that was sent (it stays valid), as some servers do. */
  echoRefreshToken?: boolean;
  /** Another OAuth client id the endpoint accepts (besides Claude Code's). */
  acceptClientId?: string;
}

export interface FakeAnthropic {
  url: string;
  usageUrl: string;
  profileUrl: string;
  tokenUrl: string;
  messagesUrl: string;
  issueToken(options?: IssueTokenOptions | string): IssuedToken;
  /** `ref` is any token of a chain (current or older) or a chain id; usage follows the chain. */
  setUsage(ref: string, payload: unknown): void;
  /** Answer for chains without their own usage. */
  setDefaultUsage(payload: unknown): void;
  setProfile(ref: string, payload: unknown): void;
  /**
   * The `anthropic-ratelimit-unified-*` headers this chain's Messages answers carry (null: none),
   * as the real API sends them to subscribers; Claude Code turns them into the status line's
   * `rate_limits`. `status: "rejected"` answers 429 like a spent window.
   */
  setRateLimits(ref: string, state: RateLimitState | null): void;
  setMessageText(text: string): void;
  setTokenOptions(options: TokenOptions): void;
  fault(mode: FaultMode, options?: FaultOptions): void;
  clearFaults(): void;
  /** Kills a chain as the server would after a reuse: every token of it is rejected from now on. */
  revoke(ref: string): void;
  chain(ref: string): ChainInfo;
  /** The identity a chain belongs to. */
  identity(ref: string): FakeIdentity;
  /** The label (identity) the next browser login signs in as; default `login-<n>`. */
  setNextLogin(label: string): void;
  /** Logins completed through the authorize page and code exchange, oldest first. */
  readonly logins: readonly { label: string; chainId: string }[];
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  stop(): Promise<void>;
}

export interface RateLimitState {
  util5Pct: number;
  /** Epoch ms. */
  reset5AtMs: number;
  util7Pct: number;
  reset7AtMs: number;
  /** Default "allowed"; "rejected" makes the Messages API answer 429. */
  status?: "allowed" | "allowed_warning" | "rejected";
}

/** The headers for `state`, spelled as the real API spells them (utilization as a fraction, resets in epoch seconds). */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  const status = state.status ?? "allowed";
  const claim = state.util7Pct > state.util5Pct ? "seven_day" : "five_hour";
  const s = (ms: number): string => String(Math.round(ms / 1000));
  return {
    "anthropic-ratelimit-unified-status": status,
    "anthropic-ratelimit-unified-5h-status": state.util5Pct >= 100 ? "rejected" : "allowed",
    "anthropic-ratelimit-unified-5h-utilization": String(state.util5Pct / 100),
    "anthropic-ratelimit-unified-5h-reset": s(state.reset5AtMs),
    "anthropic-ratelimit-unified-7d-status": state.util7Pct >= 100 ? "rejected" : "allowed",
    "anthropic-ratelimit-unified-7d-utilization": String(state.util7Pct / 100),
    "anthropic-ratelimit-unified-7d-reset": s(state.reset7AtMs),
    "anthropic-ratelimit-unified-representative-claim": claim,
    "anthropic-ratelimit-unified-reset": s(claim === "five_hour" ? state.reset5AtMs : state.reset7AtMs),
    "anthropic-ratelimit-unified-fallback-percentage": "0.5",
  };
}

export const DEFAULT_USAGE_PAYLOAD = {
  five_hour: { utilization: 0, resets_at: null },
  seven_day: { utilization: 0, resets_at: null },
  extra_usage: { is_enabled: false, monthly_limit: null, used_credits: null, utilization: null },
};

interface Chain {
  id: string;
  label: string | null;
  alive: boolean;
  generation: number;
  refreshCount: number;
  invalidGrantCount: number;
  /** Null only while the first pair is being minted. */
  current: IssuedToken | null;
  usage: unknown;
  profile: unknown;
  /** Unified rate-limit headers sent with this chain's Messages answers (what fills `rate_limits`). */
  rateLimits: RateLimitState | null;
}

interface AuthCode {
  challenge: string;
  redirectUri: string;
  clientId: string;
  /** The identity the login signs in as (its chain's label). */
  label: string;
  used: boolean;
}

/** Scopes a claude.ai login grants, as Claude Code 2.1.332 asks for them. */
export const LOGIN_SCOPE =
  "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload user:plugins";

export interface FakeIdentity {
  name: string;
  accountUuid: string;
  email: string;
  organizationUuid: string;
  organizationName: string;
}

/** The account a chain belongs to (what profile, roles and a login's code exchange report). */
function identityOf(chain: { id: string; label: string | null }): FakeIdentity {
  const name = chain.label ?? chain.id;
  return {
    name,
    accountUuid: `00000000-0000-4000-8000-${chain.id.replace(/\D/g, "").padStart(12, "0")}`,
    email: `${name}@example.com`,
    organizationUuid: `org-${chain.id}`,
    organizationName: `${name}'s Organization`,
  };
}

interface TokenRecord {
  chain: Chain;
  kind: "access" | "refresh";
  generation: number;
  used: boolean;
  expiresAt: number;
}

interface ActiveFault {
  mode: FaultMode;
  remaining: number;
  path: string;
  retryAfter: string;
  delayMs: number;
}

interface Reply {
  response: Response;
  fault?: FaultMode;
  oauthError?: string;
  model?: string;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const apiError = (
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Response => json({ type: "error", error: { type, message } }, status, headers);

function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(24).toString("base64url")}`;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function bearer(req: Request): string | null {
  const header = req.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
}

/** Starts the fake server on 127.0.0.1 with a free port. */
/** The text parts of every message in a Messages API body, in order. */
function messageTextsOf(bodyText: string): string[] {
  try {
    const body = JSON.parse(bodyText) as { messages?: Array<{ content?: unknown }> };
    const out: string[] = [];
    for (const message of body.messages ?? []) {
      const content = message.content;
      if (typeof content === "string") out.push(content);
      else if (Array.isArray(content)) {
        for (const part of content) {
          if (part && typeof part === "object" && typeof (part as { text?: unknown }).text === "string") {
            out.push((part as { text: string }).text);
          }
        }
      }
    }
    return out;
  } catch {
    return [];
  }
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const chains = new Map<string, Chain>();
  const tokens = new Map<string, TokenRecord>();
  let faults: ActiveFault[] = [];
  const requests: RecordedRequest[] = [];
  let defaultUsage: unknown = DEFAULT_USAGE_PAYLOAD;
  let messageText = DEFAULT_MESSAGE_TEXT;
  let tokenOptions: Required<Omit<TokenOptions, "acceptClientId">> = {
    rotateRefreshToken: true,
    expiresInS: DEFAULT_EXPIRES_IN_S,
    scope: DEFAULT_SCOPE,
    echoRefreshToken: false,
  };
  let chainCounter = 0;
  const authCodes = new Map<string, AuthCode>();
  const logins: { label: string; chainId: string }[] = [];
  let loginCounter = 0;
  let nextLoginLabel: string | null = null;
  const acceptedClientIds = new Set<string>();
  let messageCounter = 0;
  const stopping = new AbortController();

  function mintPair(chain: Chain, expiresInMs: number, newRefresh: boolean): IssuedToken {
    const expiresAt = Date.now() + expiresInMs;
    const accessToken = randomToken("sk-ant-oat01-fake-");
    tokens.set(accessToken, { chain, kind: "access", generation: chain.generation, used: false, expiresAt });
    let refreshToken = chain.current?.refreshToken;
    if (newRefresh || !refreshToken) {
      refreshToken = randomToken("sk-ant-ort01-fake-");
      tokens.set(refreshToken, {
        chain,
        kind: "refresh",
        generation: chain.generation,
        used: false,
        expiresAt: Number.POSITIVE_INFINITY,
      });
    }
    const pair = { chainId: chain.id, accessToken, refreshToken, expiresAt };
    chain.current = pair;
    return pair;
  }

  function issueToken(options: IssueTokenOptions | string = {}): IssuedToken {
    const opts = typeof options === "string" ? { label: options } : options;
    chainCounter += 1;
    const chain: Chain = {
      id: `chain-${chainCounter}`,
      label: opts.label ?? null,
      alive: true,
      generation: 1,
      refreshCount: 0,
      invalidGrantCount: 0,
      current: null,
      usage: undefined,
      profile: undefined,
      rateLimits: null,
    };
    chains.set(chain.id, chain);
    return { ...mintPair(chain, opts.expiresInMs ?? DEFAULT_EXPIRES_IN_S * 1000, true) };
  }

  function findChain(ref: string): Chain {
    const chain = tokens.get(ref)?.chain ?? chains.get(ref);
    if (!chain)
      throw new Error(`fake-anthropic: no chain for ${ref.startsWith("sk-ant-") ? "that token" : ref}`);
    return chain;
  }

  function tokenId(token: string | null): { tokenId: string | null; chainId: string | null } {
    if (token === null) return { tokenId: null, chainId: null };
    const record = tokens.get(token);
    if (!record) return { tokenId: "unknown", chainId: null };
    return {
      tokenId: `${record.chain.id}.${record.kind === "access" ? "a" : "r"}${record.generation}`,
      chainId: record.chain.id,
    };
  }

  function validAccess(token: string | null): Chain | null {
    const record = token ? tokens.get(token) : undefined;
    if (record?.kind !== "access" || !record.chain.alive || record.expiresAt <= Date.now()) return null;
    return record.chain;
  }

  function takeFault(path: string): ActiveFault | null {
    const index = faults.findIndex((f) => f.path === "*" || f.path === path);
    if (index < 0) return null;
    const fault = faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return fault;
  }

  function pause(ms: number, req: Request): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      req.signal.addEventListener("abort", done, { once: true });
      stopping.signal.addEventListener("abort", done, { once: true });
    });
  }

  async function faultReply(fault: ActiveFault, req: Request, path: string): Promise<Response | null> {
    const encoder = new TextEncoder();
    switch (fault.mode) {
      case "slow-rotate":
      case "rotate-drop":
        return null; // Handled in route: they act on the request first.
      case "429":
        return apiError(429, "rate_limit_error", "Rate limited.", { "retry-after": fault.retryAfter });
      case "429-no-retry-after":
        return apiError(429, "rate_limit_error", "Rate limited.");
      case "400":
        return json({ error: "invalid_request", error_description: "Scripted bad request." }, 400);
      case "401":
        return apiError(401, "authentication_error", "Invalid bearer token.");
      case "403":
        return apiError(403, "permission_error", "Scripted forbidden.");
      case "404":
        return apiError(404, "not_found_error", "Not found.");
      case "500":
        return apiError(500, "api_error", "Internal server error.");
      case "503":
        return apiError(503, "overloaded_error", "Overloaded.");
      case "invalid-grant":
        return json({ error: "invalid_grant", error_description: "Scripted invalid grant." }, 400);
      case "slow":
        await pause(fault.delayMs, req);
        // The client gave up: do not act on the request (a token refresh would rotate the chain).
        if (req.signal.aborted || stopping.signal.aborted) return new Response(null, { status: 499 });
        return null;
      case "slow-body": {
        const body = JSON.stringify(path === USAGE_PATH ? defaultUsage : {});
        const half = Math.floor(body.length / 2);
        const stream = new ReadableStream<Uint8Array>({
          start: async (controller) => {
            controller.enqueue(encoder.encode(body.slice(0, half)));
            await pause(fault.delayMs, req);
            if (req.signal.aborted || stopping.signal.aborted) {
              controller.error(undefined);
              return;
            }
            controller.enqueue(encoder.encode(body.slice(half)));
            controller.close();
          },
        });
        return new Response(stream, { headers: { "content-type": "application/json" } });
      }
      case "malformed-json":
        return new Response('{"five_hour": {"utilization": 12.5, "resets_at": ', {
          headers: { "content-type": "application/json" },
        });
      case "truncated": {
        let sent = false;
        const stream = new ReadableStream<Uint8Array>({
          pull: async (controller) => {
            if (!sent) {
              sent = true;
              controller.enqueue(encoder.encode('{"five_hour": {"utilization": 12.5, '));
              return;
            }
            await Bun.sleep(5);
            // An undefined reason drops the connection mid-body without Bun logging an error.
            controller.error(undefined);
          },
        });
        return new Response(stream, { headers: { "content-type": "application/json" } });
      }
      case "html":
        return new Response("<!DOCTYPE html><html><body>Just a moment...</body></html>", {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      case "too-large": {
        const padding = "x".repeat(2 * 1024 * 1024);
        return json({ ...DEFAULT_USAGE_PAYLOAD, padding });
      }
      case "too-large-chunked": {
        const chunk = encoder.encode(`"${"x".repeat(64 * 1024)}",`);
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull: (controller) => {
            if (sent === 0) controller.enqueue(encoder.encode('{"padding": ['));
            if (sent >= 40) {
              controller.enqueue(encoder.encode('""]}'));
              controller.close();
              return;
            }
            sent += 1;
            controller.enqueue(chunk);
          },
        });
        return new Response(stream, { headers: { "content-type": "application/json" } });
      }
    }
  }

  function handleUsage(req: Request): Reply {
    if (!(req.headers.get("anthropic-beta") ?? "").includes("oauth-2025-04-20")) {
      return {
        response: apiError(401, "authentication_error", "OAuth authentication is currently not supported."),
      };
    }
    const chain = validAccess(bearer(req));
    if (!chain) return { response: apiError(401, "authentication_error", "Invalid bearer token.") };
    return { response: json(chain.usage ?? defaultUsage) };
  }

  function handleProfile(req: Request): Reply {
    const chain = validAccess(bearer(req));
    if (!chain) return { response: apiError(401, "authentication_error", "Invalid bearer token.") };
    const id = identityOf(chain);
    const profile = chain.profile ?? {
      account: { uuid: id.accountUuid, email: id.email, full_name: id.name, display_name: id.name },
      organization: { uuid: id.organizationUuid, name: id.organizationName, organization_type: "claude_max" },
    };
    return { response: json(profile) };
  }

  function handleRoles(req: Request): Reply {
    const chain = validAccess(bearer(req));
    if (!chain) return { response: apiError(401, "authentication_error", "Invalid bearer token.") };
    return {
      response: json({
        organization_role: "admin",
        workspace_role: null,
        organization_name: identityOf(chain).organizationName,
      }),
    };
  }

  // The browser half of `claude auth login`: the authorize page "signs in" at once as the next
  // login identity and redirects to the CLI's localhost callback with a one-time code bound to the
  // PKCE challenge, the redirect URI and the client id, as the real one does.
  function handleAuthorize(req: Request): Reply {
    const q = new URL(req.url).searchParams;
    const redirectUri = q.get("redirect_uri");
    const challenge = q.get("code_challenge");
    const state = q.get("state");
    if (q.get("response_type") !== "code" || !redirectUri || !challenge || !state)
      return { response: apiError(400, "invalid_request_error", "Missing authorize parameters.") };
    if (q.get("code_challenge_method") !== "S256")
      return { response: apiError(400, "invalid_request_error", "Only S256 is supported.") };
    loginCounter += 1;
    const code = randomToken("fake-code-");
    authCodes.set(code, {
      challenge,
      redirectUri,
      clientId: q.get("client_id") ?? "",
      label: nextLoginLabel ?? `login-${loginCounter}`,
      used: false,
    });
    nextLoginLabel = null;
    const target = new URL(redirectUri);
    target.searchParams.set("code", code);
    target.searchParams.set("state", state);
    return { response: new Response(null, { status: 302, headers: { location: target.toString() } }) };
  }

  function handleCodeExchange(
    fields: Record<string, unknown>,
    oauthError: (e: string, s?: number) => Reply,
  ): Reply {
    const grant = typeof fields.code === "string" ? authCodes.get(fields.code) : undefined;
    if (!grant || grant.used) return oauthError("invalid_grant");
    grant.used = true;
    const verifier = typeof fields.code_verifier === "string" ? fields.code_verifier : "";
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    if (challenge !== grant.challenge || fields.redirect_uri !== grant.redirectUri)
      return oauthError("invalid_grant");
    if (fields.client_id !== grant.clientId) return oauthError("invalid_client", 401);
    const pair = issueToken({ label: grant.label, expiresInMs: tokenOptions.expiresInS * 1000 });
    const chain = findChain(pair.chainId);
    logins.push({ label: grant.label, chainId: chain.id });
    const id = identityOf(chain);
    return {
      response: json({
        token_type: "Bearer",
        access_token: pair.accessToken,
        refresh_token: pair.refreshToken,
        expires_in: tokenOptions.expiresInS,
        scope: LOGIN_SCOPE,
        account: { uuid: id.accountUuid, email_address: id.email },
        organization: { uuid: id.organizationUuid, name: id.organizationName },
      }),
    };
  }

  function handleToken(bodyText: string): Reply {
    const oauthError = (error: string, status = 400): Reply => ({
      response: json({ error, error_description: `Fake server: ${error}.` }, status),
      oauthError: error,
    });
    const fields = parseObject(bodyText);
    if (!fields) return oauthError("invalid_request");
    if (fields.grant_type === "authorization_code") return handleCodeExchange(fields, oauthError);
    if (fields.grant_type !== "refresh_token") return oauthError("unsupported_grant_type");
    if (fields.client_id !== FAKE_CLIENT_ID && !acceptedClientIds.has(String(fields.client_id)))
      return oauthError("invalid_client", 401);
    const record = typeof fields.refresh_token === "string" ? tokens.get(fields.refresh_token) : undefined;
    if (record?.kind !== "refresh") return oauthError("invalid_grant");
    const chain = record.chain;
    if (!chain.alive || record.used) {
      // Reuse of a spent refresh token: the server assumes theft and kills the whole chain.
      chain.alive = false;
      chain.invalidGrantCount += 1;
      return oauthError("invalid_grant");
    }
    const rotate = tokenOptions.rotateRefreshToken && !tokenOptions.echoRefreshToken;
    if (rotate) record.used = true;
    chain.generation += 1;
    chain.refreshCount += 1;
    const pair = mintPair(chain, tokenOptions.expiresInS * 1000, rotate);
    const answer: Record<string, unknown> = {
      token_type: "Bearer",
      access_token: pair.accessToken,
      expires_in: tokenOptions.expiresInS,
    };
    if (rotate || tokenOptions.echoRefreshToken) answer.refresh_token = pair.refreshToken;
    if (tokenOptions.scope !== null) answer.scope = tokenOptions.scope;
    return { response: json(answer) };
  }

  function handleMessages(req: Request, bodyText: string): Reply {
    const chain = validAccess(bearer(req));
    if (!chain)
      return { response: apiError(401, "authentication_error", "OAuth token is invalid or expired.") };
    const body = parseObject(bodyText);
    if (!body) return { response: apiError(400, "invalid_request_error", "Body is not a JSON object.") };
    const model = typeof body.model === "string" ? body.model : "claude-sonnet-4-5";
    const limits = chain.rateLimits ? rateLimitHeaders(chain.rateLimits) : {};
    if (chain.rateLimits?.status === "rejected") {
      return {
        model,
        response: apiError(429, "rate_limit_error", "This request would exceed your account's rate limit.", {
          ...limits,
          "retry-after": String(Math.max(1, Math.round((chain.rateLimits.reset5AtMs - Date.now()) / 1000))),
        }),
      };
    }
    messageCounter += 1;
    const id = `msg_fake_${String(messageCounter).padStart(6, "0")}`;
    const text = messageText;
    const usage = {
      input_tokens: 12,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 1,
    };
    const headers = { "request-id": `req_fake_${messageCounter}`, ...limits };
    if (body.stream !== true) {
      return {
        model,
        response: json(
          {
            id,
            type: "message",
            role: "assistant",
            model,
            content: [{ type: "text", text }],
            stop_reason: "end_turn",
            stop_sequence: null,
            usage: { ...usage, output_tokens: Math.max(1, text.split(/\s+/).length) },
          },
          200,
          headers,
        ),
      };
    }
    const event = (name: string, data: unknown): string =>
      `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    const middle = Math.ceil(text.length / 2);
    const events = [
      event("message_start", {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      }),
      event("content_block_start", {
        type: "content_block_start",
        index: 0,
        content_block: { type: "text", text: "" },
      }),
      event("ping", { type: "ping" }),
      event("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: text.slice(0, middle) },
      }),
      event("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: text.slice(middle) },
      }),
      event("content_block_stop", { type: "content_block_stop", index: 0 }),
      event("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: Math.max(1, text.split(/\s+/).length) },
      }),
      event("message_stop", { type: "message_stop" }),
    ];
    return {
      model,
      response: new Response(events.join(""), {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          ...headers,
        },
      }),
    };
  }

  async function route(req: Request, path: string, bodyText: string): Promise<Reply> {
    const fault = takeFault(path);
    if (fault && (fault.mode === "slow-rotate" || fault.mode === "rotate-drop")) {
      // The server acts on the request whatever happens to the answer afterwards.
      const reply = routeNormal(req, path, bodyText);
      if (fault.mode === "slow-rotate") {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, fault.delayMs);
          const stop = (): void => {
            clearTimeout(timer);
            resolve(undefined);
          };
          stopping.signal.addEventListener("abort", stop, { once: true });
        });
        return { ...reply, fault: fault.mode };
      }
      const dropped = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.error(undefined);
        },
      });
      return {
        response: new Response(dropped, {
          headers: { "content-type": "application/json", "content-length": "512" },
        }),
        fault: fault.mode,
      };
    }
    if (fault) {
      const response = await faultReply(fault, req, path);
      if (response) return { response, fault: fault.mode };
    }
    const reply = routeNormal(req, path, bodyText);
    return fault ? { ...reply, fault: fault.mode } : reply;
  }

  function routeNormal(req: Request, path: string, bodyText: string): Reply {
    const method = req.method;
    if (path === "/" && (method === "HEAD" || method === "GET"))
      return { response: new Response(method === "HEAD" ? null : "ok") };
    if (path === USAGE_PATH && method === "GET") return handleUsage(req);
    if (path === PROFILE_PATH && method === "GET") return handleProfile(req);
    if (path === ROLES_PATH && method === "GET") return handleRoles(req);
    if (AUTHORIZE_PATHS.includes(path) && method === "GET") return handleAuthorize(req);
    if (path === LOGIN_SUCCESS_PATH && method === "GET")
      return {
        response: new Response("<html><body>Login successful.</body></html>", {
          headers: { "content-type": "text/html" },
        }),
      };
    if (path === TOKEN_PATH && method === "POST") return handleToken(bodyText);
    if (path === MESSAGES_PATH && method === "POST") return handleMessages(req, bodyText);
    if (path === `${MESSAGES_PATH}/count_tokens` && method === "POST") {
      if (!validAccess(bearer(req)))
        return { response: apiError(401, "authentication_error", "Invalid bearer token.") };
      return { response: json({ input_tokens: 12 }) };
    }
    return { response: apiError(404, "not_found_error", `No route for ${method} ${path}.`) };
  }

  function setTokenOptions(options: TokenOptions): void {
    const { acceptClientId, ...rest } = options;
    if (acceptClientId) acceptedClientIds.add(acceptClientId);
    tokenOptions = { ...tokenOptions, ...rest };
  }

  function fault(mode: FaultMode, options: FaultOptions = {}): void {
    const count = options.count ?? 1;
    faults.push({
      mode,
      remaining: count === "forever" ? Number.POSITIVE_INFINITY : count,
      path: options.path ?? USAGE_PATH,
      retryAfter: options.retryAfter ?? "30",
      delayMs: options.delayMs ?? 30_000,
    });
  }

  function revoke(ref: string): void {
    findChain(ref).alive = false;
  }

  function chainInfo(ref: string): ChainInfo {
    const chain = findChain(ref);
    return {
      chainId: chain.id,
      label: chain.label,
      alive: chain.alive,
      generation: chain.generation,
      refreshCount: chain.refreshCount,
      invalidGrantCount: chain.invalidGrantCount,
      current: { ...chain.current! },
    };
  }

  async function control(req: Request, command: string): Promise<Response> {
    const body =
      req.method === "POST" ? ((await req.json().catch(() => ({}))) as Record<string, unknown>) : {};
    const ref = String(body.ref ?? "");
    try {
      switch (command) {
        case "issue-token":
          return json(issueToken(body as IssueTokenOptions));
        case "usage":
          setUsage(ref, body.payload);
          return json({ ok: true });
        case "default-usage":
          defaultUsage = body.payload;
          return json({ ok: true });
        case "profile":
          findChain(ref).profile = body.payload;
          return json({ ok: true });
        case "rate-limits":
          findChain(ref).rateLimits = (body.state as RateLimitState | null) ?? null;
          return json({ ok: true });
        case "message-text":
          messageText = String(body.text ?? "");
          return json({ ok: true });
        case "token-options":
          setTokenOptions(body as TokenOptions);
          return json({ ok: true });
        case "fault":
          fault(body.mode as FaultMode, body as FaultOptions);
          return json({ ok: true });
        case "clear-faults":
          faults = [];
          return json({ ok: true });
        case "revoke":
          revoke(ref);
          return json({ ok: true });
        case "chain":
          return json(chainInfo(new URL(req.url).searchParams.get("ref") ?? ref));
        case "requests":
          return json(requests);
        case "clear-requests":
          requests.length = 0;
          return json({ ok: true });
        default:
          return json({ error: `unknown control command ${command}` }, 404);
      }
    } catch (error) {
      return json({ error: error instanceof Error ? error.message : String(error) }, 400);
    }
  }

  function setUsage(ref: string, payload: unknown): void {
    findChain(ref).usage = payload;
  }

  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    // Slow-answer faults hold requests well past Bun's default 10 s idle limit.
    idleTimeout: 120,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path.startsWith(CONTROL_PREFIX)) return control(req, path.slice(CONTROL_PREFIX.length));
      const bodyText = req.method === "POST" ? await req.text() : "";
      let ids = tokenId(bearer(req));
      let shape: Pick<RecordedRequest, "clientId" | "scope" | "contentType"> = {};
      if (path === TOKEN_PATH) {
        const fields = parseObject(bodyText);
        const sent = fields?.refresh_token;
        ids = tokenId(typeof sent === "string" ? sent : null);
        shape = {
          clientId: typeof fields?.client_id === "string" ? fields.client_id : null,
          scope: typeof fields?.scope === "string" ? fields.scope : null,
          contentType: req.headers.get("content-type"),
        };
      }
      const reply = await route(req, path, bodyText);
      requests.push({
        method: req.method,
        path,
        ...ids,
        userAgent: req.headers.get("user-agent"),
        anthropicBeta: req.headers.get("anthropic-beta"),
        accept: req.headers.get("accept"),
        status: reply.response.status,
        fault: reply.fault ?? null,
        oauthError: reply.oauthError ?? null,
        model: reply.model ?? null,
        messageTexts: path === MESSAGES_PATH ? messageTextsOf(bodyText) : null,
        apiKeySent: req.headers.has("x-api-key"),
        ...shape,
      });
      return reply.response;
    },
  });

  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    usageUrl: url + USAGE_PATH,
    profileUrl: url + PROFILE_PATH,
    tokenUrl: url + TOKEN_PATH,
    messagesUrl: url + MESSAGES_PATH,
    issueToken,
    setUsage,
    setDefaultUsage(payload: unknown): void {
      defaultUsage = payload;
    },
    setProfile(ref: string, payload: unknown): void {
      findChain(ref).profile = payload;
    },
    setRateLimits(ref: string, state: RateLimitState | null): void {
      findChain(ref).rateLimits = state;
    },
    setMessageText(text: string): void {
      messageText = text;
    },
    setTokenOptions,
    fault,
    clearFaults(): void {
      faults = [];
    },
    revoke,
    chain: chainInfo,
    identity: (ref: string) => identityOf(findChain(ref)),
    setNextLogin(label: string): void {
      nextLoginLabel = label;
    },
    logins,
    requests,
    clearRequests(): void {
      requests.length = 0;
    },
    async stop(): Promise<void> {
      stopping.abort();
      await server.stop(true);
    },
  };
}

/** The control API of a fake server, for one running in another process. */
export interface FakeAnthropicControl {
  issueToken(options?: IssueTokenOptions): Promise<IssuedToken>;
  setUsage(ref: string, payload: unknown): Promise<void>;
  setDefaultUsage(payload: unknown): Promise<void>;
  setProfile(ref: string, payload: unknown): Promise<void>;
  setRateLimits(ref: string, state: RateLimitState | null): Promise<void>;
  setMessageText(text: string): Promise<void>;
  setTokenOptions(options: TokenOptions): Promise<void>;
  fault(mode: FaultMode, options?: FaultOptions): Promise<void>;
  clearFaults(): Promise<void>;
  revoke(ref: string): Promise<void>;
  chain(ref: string): Promise<ChainInfo>;
  requests(): Promise<RecordedRequest[]>;
  clearRequests(): Promise<void>;
}

/** Talks to a fake server's `/__control/*` API. */
export function connectFakeAnthropic(url: string): FakeAnthropicControl {
  async function call<T>(command: string, body?: Record<string, unknown>): Promise<T> {
    const response = await fetch(`${url}${CONTROL_PREFIX}${command}`, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as T & { error?: string };
    if (!response.ok)
      throw new Error(`fake-anthropic control ${command}: ${answer.error ?? response.status}`);
    return answer;
  }
  return {
    issueToken: (options = {}) => call<IssuedToken>("issue-token", { ...options }),
    setUsage: async (ref, payload) => void (await call("usage", { ref, payload })),
    setDefaultUsage: async (payload) => void (await call("default-usage", { payload })),
    setProfile: async (ref, payload) => void (await call("profile", { ref, payload })),
    setRateLimits: async (ref, state) => void (await call("rate-limits", { ref, state })),
    setMessageText: async (text) => void (await call("message-text", { text })),
    setTokenOptions: async (options) => void (await call("token-options", { ...options })),
    fault: async (mode, options = {}) => void (await call("fault", { ...options, mode })),
    clearFaults: async () => void (await call("clear-faults", {})),
    revoke: async (ref) => void (await call("revoke", { ref })),
    chain: (ref) => call<ChainInfo>(`chain?ref=${encodeURIComponent(ref)}`),
    requests: () => call<RecordedRequest[]>("requests"),
    clearRequests: async () => void (await call("clear-requests", {})),
  };
}

export interface SpawnedFakeAnthropic {
  url: string;
  usageUrl: string;
  profileUrl: string;
  tokenUrl: string;
  pid: number;
  control: FakeAnthropicControl;
  /** Kills the process and waits for it. */
  stop(): Promise<void>;
}

export const FAKE_ANTHROPIC_MAIN = join(import.meta.dir, "fake-anthropic-main.ts");

/**
 * Runs the fake server in its own process (for daemon tests that change usage from outside).
 * The child exits on its own when this process goes away (its stdin closes).
 */
export async function spawnFakeAnthropic(): Promise<SpawnedFakeAnthropic> {
  const proc = Bun.spawn([process.execPath, FAKE_ANTHROPIC_MAIN, "--exit-on-stdin-close"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const stop = async (): Promise<void> => {
    proc.kill("SIGTERM");
    await proc.exited;
  };
  const reader = proc.stdout.getReader();
  let buffered = "";
  try {
    while (!buffered.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) throw new Error("fake-anthropic-main exited before printing its URL");
      buffered += new TextDecoder().decode(value);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    reader.releaseLock();
  }
  const url = buffered.split("\n")[0]!.trim();
  return {
    url,
    usageUrl: url + USAGE_PATH,
    profileUrl: url + PROFILE_PATH,
    tokenUrl: url + TOKEN_PATH,
    pid: proc.pid,
    control: connectFakeAnthropic(url),
    stop,
  };
}
