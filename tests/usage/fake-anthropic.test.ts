import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { fetchUsage } from "../../src/usage/client.ts";
import { requestTokenRefresh } from "../../src/usage/token.ts";
import {
  type FakeAnthropic,
  type SpawnedFakeAnthropic,
  spawnFakeAnthropic,
  startFakeAnthropic,
} from "../helpers/fake-anthropic.ts";

let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.clearFaults();
  fake.clearRequests();
});

function postMessages(accessToken: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${fake.messagesUrl}?beta=true`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${accessToken}`,
      "anthropic-beta": "oauth-2025-04-20",
      "content-type": "application/json",
      "user-agent": "claude-cli/2.1.197 (external, cli)",
    },
    body: JSON.stringify(body),
  });
}

function parseSse(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1] ?? "";
      const data = JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? "{}") as Record<string, unknown>;
      return { event, data };
    });
}

describe("fake Anthropic: tokens and chains", () => {
  test("issues grep-able fake tokens", () => {
    const token = fake.issueToken("alice");
    expect(token.accessToken).toMatch(/^sk-ant-oat01-fake-[A-Za-z0-9_-]{20,}$/);
    expect(token.refreshToken).toMatch(/^sk-ant-ort01-fake-[A-Za-z0-9_-]{20,}$/);
    expect(token.expiresAt).toBeGreaterThan(Date.now());
    expect(fake.chain(token.accessToken)).toMatchObject({
      chainId: token.chainId,
      label: "alice",
      alive: true,
      generation: 1,
    });
  });

  test("a reused refresh token kills the whole chain: every token of it is rejected afterwards", async () => {
    const first = fake.issueToken();
    const second = await requestTokenRefresh(fake.tokenUrl, first.refreshToken);
    expect(await fetchUsage(fake.usageUrl, first.accessToken)).toBeDefined();
    await expect(requestTokenRefresh(fake.tokenUrl, first.refreshToken)).rejects.toMatchObject({
      kind: "invalid-grant",
    });
    await expect(fetchUsage(fake.usageUrl, second.accessToken)).rejects.toMatchObject({
      kind: "unauthorized",
    });
    await expect(fetchUsage(fake.usageUrl, first.accessToken)).rejects.toMatchObject({
      kind: "unauthorized",
    });
    await expect(requestTokenRefresh(fake.tokenUrl, second.refreshToken!)).rejects.toMatchObject({
      kind: "invalid-grant",
    });
    expect(fake.requests.filter((r) => r.oauthError === "invalid_grant").map((r) => r.tokenId)).toEqual([
      `${first.chainId}.r1`,
      `${first.chainId}.r2`,
    ]);
  });

  test("other chains are unaffected by a dead chain", async () => {
    const dead = fake.issueToken();
    const alive = fake.issueToken();
    fake.revoke(dead.chainId);
    expect((await fetchUsage(fake.usageUrl, alive.accessToken)).util5Pct).toBe(0);
  });

  test("default usage and per-chain usage", async () => {
    const a = fake.issueToken();
    const b = fake.issueToken();
    fake.setDefaultUsage({ five_hour: { utilization: 9, resets_at: null } });
    fake.setUsage(a.refreshToken, { five_hour: { utilization: 50, resets_at: null } });
    try {
      expect((await fetchUsage(fake.usageUrl, a.accessToken)).util5Pct).toBe(50);
      expect((await fetchUsage(fake.usageUrl, b.accessToken)).util5Pct).toBe(9);
    } finally {
      fake.setDefaultUsage({
        five_hour: { utilization: 0, resets_at: null },
        seven_day: { utilization: 0, resets_at: null },
      });
    }
  });

  test("unknown references are an error that does not echo a token", () => {
    expect(() => fake.setUsage("sk-ant-oat01-fake-nope", {})).toThrow("no chain for that token");
    expect(() => fake.chain("chain-999999")).toThrow("chain-999999");
  });
});

describe("fake Anthropic: what the real claude CLI talks to", () => {
  test("HEAD / answers 200", async () => {
    const response = await fetch(`${fake.url}/`, { method: "HEAD" });
    expect(response.status).toBe(200);
  });

  test("streams a Messages answer with the full event sequence and records who called", async () => {
    const token = fake.issueToken("streamer");
    fake.setMessageText("The pool picked me.");
    const response = await postMessages(token.accessToken, {
      model: "claude-opus-4-1",
      stream: true,
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    const events = parseSse(await response.text());
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const e of events) expect(e.data.type).toBe(e.event);
    const start = events[0]!.data.message as Record<string, unknown>;
    expect(start).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-opus-4-1",
      content: [],
    });
    const text = events
      .filter((e) => e.event === "content_block_delta")
      .map((e) => (e.data.delta as { type: string; text: string }).text)
      .join("");
    expect(text).toBe("The pool picked me.");
    expect(events[6]!.data.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
    expect(fake.requests.at(-1)).toMatchObject({
      method: "POST",
      path: "/v1/messages",
      tokenId: `${token.chainId}.a1`,
      chainId: token.chainId,
      model: "claude-opus-4-1",
      status: 200,
    });
  });

  test("answers non-streaming requests with a message object", async () => {
    const token = fake.issueToken();
    fake.setMessageText("plain");
    const response = await postMessages(token.accessToken, { model: "m", messages: [] });
    expect(await response.json()).toMatchObject({
      type: "message",
      content: [{ type: "text", text: "plain" }],
      stop_reason: "end_turn",
    });
  });

  test("rejects Messages calls with an unknown, expired or dead token", async () => {
    const expired = fake.issueToken({ expiresInMs: -1 });
    const dead = fake.issueToken();
    fake.revoke(dead.chainId);
    for (const accessToken of ["sk-ant-oat01-fake-unknown", expired.accessToken, dead.accessToken]) {
      const response = await postMessages(accessToken, { model: "m", stream: true, messages: [] });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    }
  });

  test("faults can target any path", async () => {
    const token = fake.issueToken();
    fake.fault("500", { path: "*" });
    expect((await postMessages(token.accessToken, { model: "m", messages: [] })).status).toBe(500);
    expect((await postMessages(token.accessToken, { model: "m", messages: [] })).status).toBe(200);
    expect(fake.requests.map((r) => r.fault)).toEqual(["500", null]);
  });
});

describe("fake Anthropic in its own process", () => {
  let spawned: SpawnedFakeAnthropic | undefined;
  afterAll(async () => {
    await spawned?.stop();
  });

  test("prints its URL, obeys the control API, and stops on request", async () => {
    spawned = await spawnFakeAnthropic();
    expect(spawned.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await spawned.control.issueToken({ label: "remote" });
    await spawned.control.setUsage(token.chainId, { five_hour: { utilization: 42, resets_at: null } });
    expect((await fetchUsage(spawned.usageUrl, token.accessToken)).util5Pct).toBe(42);

    await spawned.control.fault("429", { retryAfter: "7" });
    await expect(fetchUsage(spawned.usageUrl, token.accessToken)).rejects.toMatchObject({
      kind: "rate-limited",
      retryAfterMs: 7000,
    });
    await requestTokenRefresh(spawned.tokenUrl, token.refreshToken);
    expect(await spawned.control.chain(token.accessToken)).toMatchObject({
      generation: 2,
      refreshCount: 1,
      alive: true,
    });
    const log = await spawned.control.requests();
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /api/oauth/usage 200",
      "GET /api/oauth/usage 429",
      "POST /v1/oauth/token 200",
    ]);
    expect(JSON.stringify(log)).not.toContain("sk-ant-");
    await expect(spawned.control.setUsage("chain-404", {})).rejects.toThrow("no chain for chain-404");

    const pid = spawned.pid;
    await spawned.stop();
    spawned = undefined;
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
