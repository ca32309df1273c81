import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { fetchProfile, fetchUsage } from "../../src/usage/client.ts";
import {
  describeUsageError,
  redactSecrets,
  UsageError,
  type UsageErrorKind,
} from "../../src/usage/errors.ts";
import { claudeUserAgent, parseRetryAfterMs } from "../../src/usage/http.ts";
import {
  type FakeAnthropic,
  type FaultMode,
  type IssuedToken,
  startFakeAnthropic,
} from "../helpers/fake-anthropic.ts";

let fake: FakeAnthropic;
let token: IssuedToken;

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.clearFaults();
  fake.clearRequests();
  token = fake.issueToken("client");
});

async function usageFailure(
  options: Parameters<typeof fetchUsage>[2] = {},
  accessToken = token.accessToken,
): Promise<UsageError> {
  try {
    await fetchUsage(fake.usageUrl, accessToken, options);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const usageError = error as UsageError;
    // No token in anything a caller could print.
    const printed = `${usageError.message} ${usageError.hint} ${usageError.detail} ${describeUsageError(usageError)} ${String(usageError.stack)}`;
    expect(printed).not.toContain(accessToken);
    expect(printed).not.toContain("sk-ant-");
    return usageError;
  }
  throw new Error("expected fetchUsage to fail");
}

const REAL_PAYLOAD = {
  five_hour: { utilization: 22, resets_at: "2026-01-28T07:59:59.571404+00:00" },
  seven_day: { utilization: 46.5, resets_at: 1_769_587_199 },
  seven_day_opus: null,
  seven_day_sonnet: { utilization: 1, resets_at: "2026-01-28T07:59:59Z" },
  limits: [
    {
      kind: "weekly_scoped",
      percent: 80,
      resets_at: "1769587199",
      severity: "warning",
      is_active: true,
      scope: { model: { id: "claude-opus", display_name: "Opus" }, surface: "all" },
    },
  ],
  extra_usage: {
    is_enabled: true,
    monthly_limit: 2000,
    used_credits: 150,
    utilization: 7.5,
    currency: "USD",
  },
};

describe("fetchUsage: success", () => {
  test("sends Claude Code's headers and parses the answer", async () => {
    fake.setUsage(token.accessToken, REAL_PAYLOAD);
    const snap = await fetchUsage(fake.usageUrl, token.accessToken);
    expect(snap).toEqual({
      util5Pct: 22,
      reset5AtMs: Date.UTC(2026, 0, 28, 7, 59, 59, 571),
      util7Pct: 46.5,
      reset7AtMs: 1_769_587_199_000,
      scoped7: { pct: 80, resetAtMs: 1_769_587_199_000, model: "Opus" },
      scopedBuckets: [
        { pct: 80, resetAtMs: 1_769_587_199_000, model: "Opus" },
        { pct: 1, resetAtMs: Date.UTC(2026, 0, 28, 7, 59, 59), model: "Sonnet" },
      ],
      extraUsageEnabled: true,
      extraUsage: {
        enabled: true,
        monthlyLimitCents: 2000,
        usedCreditsCents: 150,
        utilPct: 7.5,
        currency: "USD",
      },
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: "GET",
      path: "/api/oauth/usage",
      tokenId: `${token.chainId}.a1`,
      userAgent: "claude-cli/2.1.0 (external, cli)",
      anthropicBeta: "oauth-2025-04-20",
      accept: "application/json",
      status: 200,
    });
  });

  test("uses the installed claude's version in the User-Agent when given", async () => {
    await fetchUsage(fake.usageUrl, token.accessToken, { claudeVersion: "2.1.197" });
    expect(fake.requests[0]?.userAgent).toBe("claude-cli/2.1.197 (external, cli)");
    expect(claudeUserAgent()).toBe("claude-cli/2.1.0 (external, cli)");
  });

  test("the fake rejects a request without the OAuth beta header, so the header check above is meaningful", async () => {
    const response = await fetch(fake.usageUrl, {
      headers: { Authorization: `Bearer ${token.accessToken}` },
    });
    expect(response.status).toBe(401);
  });

  test("usage follows the chain after a rotation", async () => {
    fake.setUsage(token.accessToken, { five_hour: { utilization: 77, resets_at: null } });
    const rotated = await fetch(fake.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "refresh_token",
        refresh_token: token.refreshToken,
        client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
      }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const snap = await fetchUsage(fake.usageUrl, rotated.access_token);
    expect(snap.util5Pct).toBe(77);
    expect(fake.requests.at(-1)?.tokenId).toBe(`${token.chainId}.a2`);
  });

  test("a body just under the size cap is read; one byte over is refused", async () => {
    const payload = { five_hour: { utilization: 5, resets_at: null } };
    const size = JSON.stringify(payload).length;
    fake.setUsage(token.accessToken, payload);
    expect((await fetchUsage(fake.usageUrl, token.accessToken, { maxBodyBytes: size })).util5Pct).toBe(5);
    const error = await usageFailure({ maxBodyBytes: size - 1 });
    expect(error.kind).toBe("contract");
    expect(error.detail).toBe(`body larger than ${size - 1} bytes`);
  });
});

describe("fetchUsage: every fault mode", () => {
  const cases: Array<{ mode: FaultMode; kind: UsageErrorKind; status: number | null; detail?: string }> = [
    { mode: "429", kind: "rate-limited", status: 429 },
    { mode: "429-no-retry-after", kind: "rate-limited", status: 429 },
    { mode: "401", kind: "unauthorized", status: 401 },
    { mode: "403", kind: "unauthorized", status: 403 },
    { mode: "404", kind: "http", status: 404 },
    { mode: "400", kind: "http", status: 400 },
    { mode: "500", kind: "server", status: 500 },
    { mode: "503", kind: "server", status: 503 },
    { mode: "slow", kind: "timeout", status: null },
    { mode: "slow-body", kind: "timeout", status: null },
    { mode: "malformed-json", kind: "contract", status: 200, detail: "malformed JSON" },
    { mode: "truncated", kind: "contract", status: 200, detail: "truncated body" },
    { mode: "html", kind: "contract", status: 200, detail: "wrong content type text/html" },
    { mode: "too-large", kind: "contract", status: 200, detail: "body larger than 1048576 bytes" },
    { mode: "too-large-chunked", kind: "contract", status: 200, detail: "body larger than 1048576 bytes" },
  ];

  for (const { mode, kind, status, detail } of cases) {
    test(`${mode} → ${kind}`, async () => {
      fake.fault(mode, { delayMs: 5000 });
      const error = await usageFailure({ timeoutMs: 300 });
      expect(error.kind).toBe(kind);
      expect(error.status).toBe(status);
      if (detail !== undefined) expect(error.detail).toBe(detail);
      expect(error.endpoint).toBe("usage");
      // The fault was used up: the next poll succeeds.
      expect((await fetchUsage(fake.usageUrl, token.accessToken)).util5Pct).toBe(0);
    });
  }

  test("Retry-After in seconds, as an HTTP-date, and absent", async () => {
    fake.fault("429", { retryAfter: "120" });
    expect((await usageFailure()).retryAfterMs).toBe(120_000);
    fake.fault("429", { retryAfter: "Wed, 21 Oct 2015 07:28:30 GMT" });
    const nowMs = Date.UTC(2015, 9, 21, 7, 28, 0);
    expect((await usageFailure({ now: () => nowMs })).retryAfterMs).toBe(30_000);
    fake.fault("429-no-retry-after");
    expect((await usageFailure()).retryAfterMs).toBeNull();
    fake.fault("429", { retryAfter: "0" });
    expect((await usageFailure()).retryAfterMs).toBe(0);
  });

  test("a slow body that arrives within the timeout is read normally", async () => {
    fake.fault("slow-body", { delayMs: 50 });
    expect((await fetchUsage(fake.usageUrl, token.accessToken, { timeoutMs: 5000 })).util5Pct).toBe(0);
  });

  test("faults on another path or used up leave usage alone; 'forever' keeps failing", async () => {
    fake.fault("500", { path: "/v1/oauth/token" });
    expect((await fetchUsage(fake.usageUrl, token.accessToken)).util5Pct).toBe(0);
    fake.clearFaults();
    fake.fault("503", { count: "forever" });
    for (let i = 0; i < 3; i++) expect((await usageFailure()).kind).toBe("server");
    fake.clearFaults();
    expect((await fetchUsage(fake.usageUrl, token.accessToken)).util5Pct).toBe(0);
  });

  test("a payload that does not validate is a contract error naming the first issue", async () => {
    fake.setUsage(token.accessToken, { five_hour: { utilization: "12%", resets_at: null } });
    const error = await usageFailure();
    expect(error.kind).toBe("contract");
    expect(error.detail).toBe("five_hour.utilization: expected number");
    expect(error.message).toContain("five_hour.utilization: expected number");
  });

  test("a revoked chain and an unknown token are unauthorized", async () => {
    fake.revoke(token.chainId);
    expect((await usageFailure()).kind).toBe("unauthorized");
    expect((await usageFailure({}, "sk-ant-oat01-fake-not-issued")).status).toBe(401);
    expect(fake.requests.at(-1)?.tokenId).toBe("unknown");
  });

  test("an expired access token is unauthorized", async () => {
    const expired = fake.issueToken({ expiresInMs: -1000 });
    expect((await usageFailure({}, expired.accessToken)).kind).toBe("unauthorized");
  });

  test("connection refused is a network error", async () => {
    const closed = await startFakeAnthropic();
    const url = closed.usageUrl;
    await closed.stop();
    try {
      await fetchUsage(url, token.accessToken);
      throw new Error("expected a failure");
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).kind).toBe("network");
      expect((error as UsageError).detail).toBe("ECONNREFUSED");
    }
  });

  test("a caller's abort signal cancels the request as a network error, not a timeout", async () => {
    fake.fault("slow", { delayMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await usageFailure({ signal: controller.signal, timeoutMs: 10_000 });
    expect(error.kind).toBe("network");
    expect(error.detail).toBe("cancelled");
    // The server notices the disconnect on its own schedule; let it log the request before moving on.
    for (let i = 0; i < 200 && !fake.requests.some((r) => r.status === 499); i++) await Bun.sleep(10);
  });
});

describe("fetchProfile", () => {
  test("returns the identity of the token's account", async () => {
    fake.setProfile(token.chainId, {
      account: { uuid: "acc-42", email: "ann@example.com", display_name: "Ann" },
      organization: { uuid: "org-42", name: "Ann Inc" },
      something_new: true,
    });
    expect(await fetchProfile(fake.profileUrl, token.accessToken)).toEqual({
      accountUuid: "acc-42",
      email: "ann@example.com",
      displayName: "Ann",
      organizationUuid: "org-42",
      organizationName: "Ann Inc",
    });
    expect(fake.requests.find((r) => r.path === "/api/oauth/profile")).toMatchObject({
      anthropicBeta: "oauth-2025-04-20",
      tokenId: `${token.chainId}.a1`,
    });
  });

  test("classifies failures like the usage endpoint", async () => {
    fake.fault("429", { path: "/api/oauth/profile" });
    await expect(fetchProfile(fake.profileUrl, token.accessToken)).rejects.toMatchObject({
      kind: "rate-limited",
      endpoint: "profile",
    });
    fake.setProfile(token.chainId, { account: { email: ["x"] } });
    await expect(fetchProfile(fake.profileUrl, token.accessToken)).rejects.toMatchObject({
      kind: "contract",
      detail: "account.email: expected string",
    });
  });
});

describe("messages and helpers", () => {
  test("describeUsageError gives a short phrase per kind", () => {
    const make = (kind: UsageErrorKind, extra: Partial<ConstructorParameters<typeof UsageError>[1]> = {}) =>
      describeUsageError(new UsageError(kind, { endpoint: "usage", ...extra }));
    expect(make("rate-limited", { status: 429, retryAfterMs: 30_000 })).toBe("rate-limited (retry in 30s)");
    expect(make("rate-limited", { status: 429 })).toBe("rate-limited");
    expect(make("unauthorized", { status: 403 })).toBe("token rejected (HTTP 403)");
    expect(make("network", { detail: "ENOTFOUND" })).toBe("network error (ENOTFOUND)");
    expect(make("timeout", { timeoutMs: 10_000 })).toBe("timed out after 10s");
    expect(make("server", { status: 502 })).toBe("server error (HTTP 502)");
    expect(make("contract", { detail: "malformed JSON" })).toBe("unexpected answer: malformed JSON");
    expect(make("http", { status: 404 })).toBe("HTTP 404");
    expect(make("invalid-grant")).toBe("needs login (refresh token rejected)");
    expect(describeUsageError(new Error("boom sk-ant-oat01-abc"))).toBe("boom [redacted]");
  });

  test("a UsageError is a CcpError with advice", () => {
    const error = new UsageError("rate-limited", { endpoint: "usage", status: 429, retryAfterMs: 600_000 });
    expect(error.code).toBe("network");
    expect(error.message).toBe("Usage request failed: rate-limited by Anthropic (HTTP 429), retry in 10m.");
    expect(error.hint).toContain("last known values");
    expect(new UsageError("invalid-grant", { endpoint: "token" }).code).toBe("credential");
  });

  test("token-shaped text is redacted from details and messages", () => {
    const error = new UsageError("network", {
      endpoint: "usage",
      detail: "failed for sk-ant-oat01-AbC_123-xyz",
    });
    expect(error.message).not.toContain("AbC_123");
    expect(redactSecrets("a secret-value-123 b", ["secret-value-123"])).toBe("a [redacted] b");
  });

  test("parseRetryAfterMs", () => {
    expect(parseRetryAfterMs(null, 0)).toBeNull();
    expect(parseRetryAfterMs("", 0)).toBeNull();
    expect(parseRetryAfterMs("soon", 0)).toBeNull();
    expect(parseRetryAfterMs("1.5", 0)).toBe(1500);
    expect(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2016, 0, 1))).toBe(0);
  });
});
