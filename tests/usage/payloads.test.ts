import { describe, expect, test } from "bun:test";
import {
  PayloadError,
  parseProfilePayload,
  parseResetAtMs,
  parseTokenPayload,
  parseUsagePayload,
} from "../../src/usage/payloads.ts";
import { applyTokenGrant, FALLBACK_EXPIRES_IN_S } from "../../src/usage/token.ts";

const ISO = "2026-01-28T07:59:59.571404+00:00";
const ISO_MS = Date.UTC(2026, 0, 28, 7, 59, 59, 571);
const EPOCH_S = 1_769_587_199;

function payloadError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return (error as PayloadError).detail;
  }
  throw new Error("expected a PayloadError");
}

describe("parseUsagePayload: windows", () => {
  test("reads five_hour and seven_day as percents, never as fractions", () => {
    const snap = parseUsagePayload({
      five_hour: { utilization: 0.5, resets_at: ISO },
      seven_day: { utilization: 61, resets_at: ISO },
    });
    expect(snap.util5Pct).toBe(0.5);
    expect(snap.util7Pct).toBe(61);
    expect(snap.reset5AtMs).toBe(ISO_MS);
    expect(snap.reset7AtMs).toBe(ISO_MS);
  });

  test("accepts resets_at as ISO string, epoch seconds, numeric string, epoch ms, null, absent or empty", () => {
    const cases: Array<[unknown, number | null]> = [
      [ISO, ISO_MS],
      ["2026-01-28T07:59:59Z", Date.UTC(2026, 0, 28, 7, 59, 59)],
      [EPOCH_S, EPOCH_S * 1000],
      [String(EPOCH_S), EPOCH_S * 1000],
      [` ${EPOCH_S}.5 `, EPOCH_S * 1000 + 500],
      [EPOCH_S * 1000, EPOCH_S * 1000],
      [null, null],
      [undefined, null],
      ["", null],
    ];
    for (const [input, expected] of cases) {
      const window = input === undefined ? { utilization: 1 } : { utilization: 1, resets_at: input };
      expect(parseUsagePayload({ five_hour: window }).reset5AtMs).toBe(expected);
    }
  });

  test("an unreadable resets_at is a contract problem naming the field", () => {
    expect(payloadError(() => parseUsagePayload({ seven_day: { utilization: 1, resets_at: "soon" } }))).toBe(
      "seven_day.resets_at: expected ISO-8601 date or epoch seconds",
    );
    expect(() => parseResetAtMs("tomorrow", "x")).toThrow(PayloadError);
  });

  test("missing, null and empty windows give nulls", () => {
    for (const payload of [
      {},
      { five_hour: null, seven_day: null },
      { five_hour: {}, seven_day: { utilization: null } },
    ]) {
      const snap = parseUsagePayload(payload);
      expect(snap).toMatchObject({
        util5Pct: null,
        reset5AtMs: null,
        util7Pct: null,
        reset7AtMs: null,
        scoped7: null,
      });
    }
  });

  test("a utilization that is not a number names the field and never echoes the value", () => {
    const detail = payloadError(() =>
      parseUsagePayload({ five_hour: { utilization: "50", resets_at: null } }),
    );
    expect(detail).toBe("five_hour.utilization: expected number");
    expect(payloadError(() => parseUsagePayload({ seven_day: "sk-ant-oat01-secret" }))).not.toContain(
      "sk-ant",
    );
  });

  test("a payload that is not an object is a contract problem", () => {
    expect(payloadError(() => parseUsagePayload([1, 2]))).toStartWith("payload: expected");
    expect(payloadError(() => parseUsagePayload(null))).toStartWith("payload: expected");
  });

  test("per-model seven_day_* keys and unknown keys are ignored whatever their shape", () => {
    const snap = parseUsagePayload({
      five_hour: { utilization: 10, resets_at: null },
      seven_day_opus: "garbage",
      seven_day_sonnet: { utilization: "x" },
      iguana_necktie: null,
      brand_new: { deeply: [1, 2, 3] },
    });
    expect(snap.util5Pct).toBe(10);
    expect(snap.scoped7).toBeNull();
  });
});

describe("parseUsagePayload: limits", () => {
  const scoped = (percent: unknown, name: unknown, resets_at: unknown = EPOCH_S) => ({
    kind: "weekly_scoped",
    percent,
    resets_at,
    severity: "warning",
    is_active: true,
    scope: { model: { id: "claude-x", display_name: name }, surface: "cli" },
  });

  test("takes the highest weekly_scoped entry that has a model display name", () => {
    const snap = parseUsagePayload({
      seven_day: { utilization: 20, resets_at: null },
      limits: [
        { kind: "session", percent: 5, resets_at: null },
        scoped(40, "Sonnet"),
        scoped(95, null),
        scoped(70, "Opus", ISO),
        scoped(99, "  "),
      ],
    });
    expect(snap.scoped7).toEqual({ pct: 70, resetAtMs: ISO_MS, model: "Opus" });
  });

  test("no weekly_scoped entry with a display name gives no scoped bucket", () => {
    const snap = parseUsagePayload({ limits: [scoped(80, null), { kind: "weekly_scoped", percent: 90 }] });
    expect(snap.scoped7).toBeNull();
  });

  test("session and weekly_all stand in only when five_hour / seven_day are absent", () => {
    const limits = [
      { kind: "session", percent: 33, resets_at: EPOCH_S },
      { kind: "weekly_all", percent: 44, resets_at: ISO },
    ];
    const fallback = parseUsagePayload({ limits });
    expect(fallback).toMatchObject({
      util5Pct: 33,
      reset5AtMs: EPOCH_S * 1000,
      util7Pct: 44,
      reset7AtMs: ISO_MS,
    });
    const windows = parseUsagePayload({
      five_hour: { utilization: 1, resets_at: null },
      seven_day: { utilization: 2, resets_at: null },
      limits,
    });
    expect(windows).toMatchObject({ util5Pct: 1, reset5AtMs: null, util7Pct: 2, reset7AtMs: null });
  });

  test("unknown limit kinds are skipped unchecked; a malformed known kind names its index", () => {
    const ok = parseUsagePayload({
      limits: [{ kind: "monthly_future", percent: { odd: true } }, "junk", scoped(12, "Opus")],
    });
    expect(ok.scoped7?.pct).toBe(12);
    expect(payloadError(() => parseUsagePayload({ limits: [scoped(1, "A"), scoped("9", "B")] }))).toBe(
      "limits.1.percent: expected number",
    );
    expect(payloadError(() => parseUsagePayload({ limits: "nope" }))).toStartWith("limits: expected");
  });
});

describe("parseUsagePayload: extra_usage", () => {
  test("reads every field", () => {
    const snap = parseUsagePayload({
      extra_usage: {
        is_enabled: true,
        monthly_limit: 5000,
        used_credits: 1234,
        utilization: 24.68,
        currency: "USD",
      },
    });
    expect(snap.extraUsageEnabled).toBe(true);
    expect(snap.extraUsage).toEqual({
      enabled: true,
      monthlyLimitCents: 5000,
      usedCreditsCents: 1234,
      utilPct: 24.68,
      currency: "USD",
    });
  });

  test("absent, null or partial extra_usage gives nulls", () => {
    expect(parseUsagePayload({}).extraUsageEnabled).toBeNull();
    expect(parseUsagePayload({ extra_usage: null }).extraUsage).toBeNull();
    const partial = parseUsagePayload({ extra_usage: { is_enabled: false, monthly_limit: null } });
    expect(partial.extraUsageEnabled).toBe(false);
    expect(partial.extraUsage?.currency).toBeNull();
    expect(payloadError(() => parseUsagePayload({ extra_usage: { is_enabled: "yes" } }))).toBe(
      "extra_usage.is_enabled: expected boolean",
    );
  });
});

describe("parseProfilePayload", () => {
  test("reads account and organization", () => {
    const profile = parseProfilePayload({
      account: {
        uuid: "acc-1",
        email: "a@example.com",
        full_name: "Ann Example",
        display_name: "Ann",
        has_claude_max: true,
      },
      organization: {
        uuid: "org-1",
        name: "Ann's Org",
        organization_type: "claude_max",
        rate_limit_tier: "x",
      },
    });
    expect(profile).toEqual({
      accountUuid: "acc-1",
      email: "a@example.com",
      displayName: "Ann",
      organizationUuid: "org-1",
      organizationName: "Ann's Org",
    });
  });

  test("is tolerant of missing parts and alternative field names", () => {
    expect(parseProfilePayload({ account: { email_address: "b@example.com", full_name: "Bo" } })).toEqual({
      accountUuid: null,
      email: "b@example.com",
      displayName: "Bo",
      organizationUuid: null,
      organizationName: null,
    });
    expect(parseProfilePayload({}).email).toBeNull();
    expect(payloadError(() => parseProfilePayload({ account: { email: 42 } }))).toBe(
      "account.email: expected string",
    );
  });
});

describe("parseTokenPayload and applyTokenGrant", () => {
  test("reads a full answer; scope becomes a list", () => {
    const grant = parseTokenPayload({
      access_token: "A",
      refresh_token: "R",
      expires_in: 28800,
      scope: "user:inference  user:profile",
      token_type: "Bearer",
    });
    expect(grant).toEqual({
      accessToken: "A",
      refreshToken: "R",
      expiresInS: 28800,
      scopes: ["user:inference", "user:profile"],
      tokenType: "Bearer",
    });
  });

  test("tolerates missing or odd side fields but not a missing access token", () => {
    expect(parseTokenPayload({ access_token: "A" })).toEqual({
      accessToken: "A",
      refreshToken: undefined,
      expiresInS: null,
      scopes: undefined,
      tokenType: undefined,
    });
    expect(
      parseTokenPayload({ access_token: "A", refresh_token: "", expires_in: "3600", scope: "" }),
    ).toMatchObject({
      refreshToken: undefined,
      expiresInS: 3600,
      scopes: undefined,
    });
    expect(parseTokenPayload({ access_token: "A", expires_in: -5 }).expiresInS).toBeNull();
    expect(payloadError(() => parseTokenPayload({ refresh_token: "R" }))).toStartWith(
      "access_token: expected",
    );
    expect(payloadError(() => parseTokenPayload({ access_token: "" }))).toStartWith("access_token: expected");
  });

  const oldBlob = {
    claudeAiOauth: {
      accessToken: "old-a",
      refreshToken: "old-r",
      expiresAt: 1,
      scopes: ["user:inference", "user:profile"],
      subscriptionType: "max",
      rateLimitTier: "default_claude_max_20x",
      futureField: { keep: true },
    },
    mcpOAuth: { server: { token: "mcp" } },
    otherTopLevel: 7,
  };

  test("keeps every other field, sets expiresAt from now + expires_in, updates scopes when given", () => {
    const next = applyTokenGrant(
      oldBlob,
      {
        accessToken: "new-a",
        refreshToken: "new-r",
        expiresInS: 100,
        scopes: ["user:inference"],
        tokenType: "Bearer",
      },
      1_000_000,
    );
    expect(next).toEqual({
      claudeAiOauth: {
        accessToken: "new-a",
        refreshToken: "new-r",
        expiresAt: 1_100_000,
        scopes: ["user:inference"],
        subscriptionType: "max",
        rateLimitTier: "default_claude_max_20x",
        futureField: { keep: true },
      },
      mcpOAuth: { server: { token: "mcp" } },
      otherTopLevel: 7,
    });
    expect(oldBlob.claudeAiOauth.accessToken).toBe("old-a");
  });

  test("keeps the old refresh token and scopes when the answer has none; falls back to a short expiry", () => {
    const next = applyTokenGrant(
      oldBlob,
      {
        accessToken: "new-a",
        refreshToken: undefined,
        expiresInS: null,
        scopes: undefined,
        tokenType: undefined,
      },
      5000,
    );
    expect(next.claudeAiOauth?.refreshToken).toBe("old-r");
    expect(next.claudeAiOauth?.scopes).toEqual(["user:inference", "user:profile"]);
    expect(next.claudeAiOauth?.expiresAt).toBe(5000 + FALLBACK_EXPIRES_IN_S * 1000);
  });
});
