import { ofetch } from "ofetch";
import { type AnthropicEndpoint, UsageError } from "./errors.ts";

/** Used for the User-Agent when the installed claude's version is unknown. */
export const DEFAULT_CLAUDE_VERSION = "2.1.0";
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const OAUTH_BETA_HEADER = "oauth-2025-04-20";

export interface HttpOptions {
  /** Limit for the whole exchange, body included. Default 10 s. */
  timeoutMs?: number;
  /** Larger answers are a contract error. Default 1 MiB. */
  maxBodyBytes?: number;
  /** The installed claude's version, for the User-Agent. */
  claudeVersion?: string;
  /** Clock for `Retry-After` HTTP-dates. */
  now?: () => number;
  /** Cancels the request (e.g. on daemon shutdown); reported as a network error. */
  signal?: AbortSignal;
}

/** Anthropic puts other user agents in a much stricter rate-limit bucket. */
export function claudeUserAgent(version: string = DEFAULT_CLAUDE_VERSION): string {
  return `claude-cli/${version} (external, cli)`;
}

export interface HttpRequest {
  endpoint: AnthropicEndpoint;
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  /** Sent as JSON. */
  body?: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body, or the reason it could not be read in full. */
  body: { ok: true; text: string } | { ok: false; problem: string };
}

// retry: 0 everywhere. Callers own backoff, and ofetch would otherwise retry a 429 at once and (when
// set on create) retry POSTs, which would replay a single-use refresh token.
const http = ofetch.create({ retry: 0, ignoreResponseError: true, responseType: "stream" });

class BodyTooLarge extends Error {}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge();
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new BodyTooLarge();
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if ("code" in current && typeof current.code === "string" && current.code !== "") return current.code;
    current = current.cause;
  }
  return undefined;
}

/**
 * Sends one request and reads the whole answer under one deadline. Throws a UsageError for
 * timeouts and network failures; every HTTP answer is returned for the caller to classify.
 * Nothing from the request (headers, body) is ever put into an error.
 */
export async function sendRequest(request: HttpRequest, options: HttpOptions = {}): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const controller = new AbortController();
  let timedOut = false;
  // ofetch's own `timeout` stops at the headers; this one also covers a stalled body.
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error("timeout"));
  }, timeoutMs);
  const onCallerAbort = (): void => controller.abort(new Error("cancelled"));
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  if (options.signal?.aborted) onCallerAbort();
  const fail = (error: unknown): UsageError => {
    if (timedOut) return new UsageError("timeout", { endpoint: request.endpoint, timeoutMs });
    if (options.signal?.aborted)
      return new UsageError("network", { endpoint: request.endpoint, detail: "cancelled" });
    return new UsageError("network", {
      endpoint: request.endpoint,
      detail: errorCode(error) ?? "connection failed",
    });
  };
  try {
    let response: Response;
    try {
      response = await http.raw(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
      });
    } catch (error) {
      throw fail(error);
    }
    let body: HttpAnswer["body"];
    try {
      body = { ok: true, text: await readCapped(response, maxBodyBytes) };
    } catch (error) {
      if (error instanceof BodyTooLarge)
        body = { ok: false, problem: `body larger than ${maxBodyBytes} bytes` };
      else if (timedOut || options.signal?.aborted) throw fail(error);
      else body = { ok: false, problem: "truncated body" };
    }
    return { status: response.status, headers: response.headers, body };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return null;
  return Math.max(0, dateMs - nowMs);
}

/** The error for a non-2xx answer; token-endpoint specifics are handled by its caller first. */
export function statusError(answer: HttpAnswer, endpoint: AnthropicEndpoint, nowMs: number): UsageError {
  const status = answer.status;
  if (status === 429) {
    return new UsageError("rate-limited", {
      endpoint,
      status,
      retryAfterMs: parseRetryAfterMs(answer.headers.get("retry-after"), nowMs),
    });
  }
  if (status === 401 || status === 403) return new UsageError("unauthorized", { endpoint, status });
  if (status >= 500) return new UsageError("server", { endpoint, status });
  return new UsageError("http", { endpoint, status });
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The JSON body of a 2xx answer, or a contract error saying why there is none. */
export function jsonBody(answer: HttpAnswer, endpoint: AnthropicEndpoint): unknown {
  if (!answer.body.ok)
    throw new UsageError("contract", { endpoint, status: answer.status, detail: answer.body.problem });
  const contentType = answer.headers.get("content-type");
  if (contentType !== null && !JSON_CONTENT_TYPE.test(contentType.trim())) {
    const shown = contentType.split(";")[0]?.trim().slice(0, 60) ?? "";
    throw new UsageError("contract", {
      endpoint,
      status: answer.status,
      detail: `wrong content type ${shown}`,
    });
  }
  try {
    return JSON.parse(answer.body.text);
  } catch {
    throw new UsageError("contract", { endpoint, status: answer.status, detail: "malformed JSON" });
  }
}
