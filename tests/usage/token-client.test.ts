import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { fetchUsage } from "../../src/usage/client.ts";
import { UsageError, type UsageErrorKind } from "../../src/usage/errors.ts";
import { CLAUDE_OAUTH_CLIENT_ID, requestTokenRefresh } from "../../src/usage/token.ts";
import {
  type FakeAnthropic,
  type FaultMode,
  type IssuedToken,
  startFakeAnthropic,
  TOKEN_PATH,
  USAGE_PATH,
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
  fake.setTokenOptions({ rotateRefreshToken: true, expiresInS: 28800, scope: "user:inference user:profile" });
  token = fake.issueToken("token-client");
});

async function refreshFailure(refreshToken = token.refreshToken, timeoutMs = 2000): Promise<UsageError> {
  try {
    await requestTokenRefresh(fake.tokenUrl, refreshToken, { timeoutMs });
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const usageError = error as UsageError;
    expect(`${usageError.message} ${usageError.detail} ${usageError.stack}`).not.toContain("sk-ant-");
    return usageError;
  }
  throw new Error("expected the refresh to fail");
}

const tokenRequests = () => fake.requests.filter((r) => r.path === TOKEN_PATH);

describe("requestTokenRefresh", () => {
  test("posts the refresh grant with Claude's client id and a CLI User-Agent, and reads the answer", async () => {
    const grant = await requestTokenRefresh(fake.tokenUrl, token.refreshToken, { claudeVersion: "2.1.5" });
    const chain = fake.chain(token.chainId);
    expect(grant).toEqual({
      accessToken: chain.current.accessToken,
      refreshToken: chain.current.refreshToken,
      expiresInS: 28800,
      scopes: ["user:inference", "user:profile"],
      tokenType: "Bearer",
    });
    expect(grant.accessToken).toStartWith("sk-ant-oat01-fake-");
    expect(grant.refreshToken).toStartWith("sk-ant-ort01-fake-");
    expect(tokenRequests()).toEqual([
      expect.objectContaining({
        method: "POST",
        tokenId: `${token.chainId}.r1`,
        userAgent: "claude-cli/2.1.5 (external, cli)",
      }),
    ]);
    expect(CLAUDE_OAUTH_CLIENT_ID).toBe("9d1c250a-e61b-44d9-88ed-5944d1962f5e");
  });

  test("the fake refuses a wrong client id or grant type, so the body check above is meaningful", async () => {
    const post = (body: Record<string, string>) =>
      fetch(fake.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const wrongClient = await post({
      grant_type: "refresh_token",
      refresh_token: token.refreshToken,
      client_id: "x",
    });
    expect(wrongClient.status).toBe(401);
    const wrongGrant = await post({
      grant_type: "password",
      refresh_token: token.refreshToken,
      client_id: CLAUDE_OAUTH_CLIENT_ID,
    });
    expect(wrongGrant.status).toBe(400);
    expect(fake.chain(token.chainId)).toMatchObject({ alive: true, refreshCount: 0 });
  });

  test("an absent refresh_token in the answer is reported as undefined (the caller keeps the old one)", async () => {
    fake.setTokenOptions({ rotateRefreshToken: false, scope: null });
    const grant = await requestTokenRefresh(fake.tokenUrl, token.refreshToken);
    expect(grant.refreshToken).toBeUndefined();
    expect(grant.scopes).toBeUndefined();
    // Not rotated means still valid.
    await requestTokenRefresh(fake.tokenUrl, token.refreshToken);
    expect(fake.chain(token.chainId).refreshCount).toBe(2);
  });

  test("reusing a spent refresh token is invalid-grant and kills the chain", async () => {
    const grant = await requestTokenRefresh(fake.tokenUrl, token.refreshToken);
    const error = await refreshFailure(token.refreshToken);
    expect(error.kind).toBe("invalid-grant");
    expect(error.status).toBe(400);
    expect(fake.chain(token.chainId)).toMatchObject({ alive: false, invalidGrantCount: 1 });
    await expect(fetchUsage(fake.usageUrl, grant.accessToken)).rejects.toMatchObject({
      kind: "unauthorized",
    });
    expect((await refreshFailure(grant.refreshToken!)).kind).toBe("invalid-grant");
  });

  test("only a 400 invalid_grant is invalid-grant; other answers are transient kinds", async () => {
    const cases: Array<[FaultMode, UsageErrorKind, number | null]> = [
      ["invalid-grant", "invalid-grant", 400],
      ["400", "http", 400],
      ["401", "unauthorized", 401],
      ["403", "unauthorized", 403],
      ["429", "rate-limited", 429],
      ["500", "server", 500],
      ["503", "server", 503],
      ["html", "contract", 200],
      ["malformed-json", "contract", 200],
      ["truncated", "contract", 200],
      ["slow", "timeout", null],
    ];
    for (const [mode, kind, status] of cases) {
      fake.fault(mode, { path: TOKEN_PATH, delayMs: 5000 });
      const error = await refreshFailure(token.refreshToken, 300);
      expect({ mode, kind: error.kind, status: error.status }).toEqual({ mode, kind, status });
    }
    // Scripted failures never touched the chain: the refresh token still works.
    expect(fake.chain(token.chainId).alive).toBe(true);
    await requestTokenRefresh(fake.tokenUrl, token.refreshToken);
  });

  test("a 400 with another OAuth error names it and is not invalid-grant", async () => {
    fake.fault("400", { path: TOKEN_PATH });
    const error = await refreshFailure();
    expect(error.kind).toBe("http");
    expect(error.detail).toBe("invalid_request");
    expect(fake.chain(token.chainId).alive).toBe(true);
  });

  test("a refresh is never retried, whatever the failure", async () => {
    for (const mode of ["500", "503", "429"] as const) {
      fake.clearRequests();
      fake.fault(mode, { path: TOKEN_PATH });
      await refreshFailure();
      expect(tokenRequests()).toHaveLength(1);
    }
    // The refresh token survived all of that, and works.
    await requestTokenRefresh(fake.tokenUrl, token.refreshToken);
  });

  test("usage polls are not retried either (the daemon owns backoff)", async () => {
    for (const mode of ["500", "429"] as const) {
      fake.clearRequests();
      fake.fault(mode);
      await expect(fetchUsage(fake.usageUrl, token.accessToken)).rejects.toBeInstanceOf(UsageError);
      expect(fake.requests.filter((r) => r.path === USAGE_PATH)).toHaveLength(1);
    }
  });
});
