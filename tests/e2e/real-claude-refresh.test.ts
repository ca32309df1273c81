// The real claude's own token refresh, racing cc-pool's on the same account, through an
// HTTPS-intercepting proxy (claude-code.md §6): claude's OAuth calls reach the fake token
// endpoint, whose chains are single-use. Whoever refreshes first, the other must wait on the
// shared locks and adopt the result: one network refresh, no invalid_grant, the login alive.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFileStore } from "../../src/secrets/file-store.ts";
import { type RefreshOutcome, refreshAccountToken } from "../../src/usage/refresh.ts";
import { REPO_ROOT, collectOutput, tempDir } from "../helpers/cli.ts";
import {
  type FakeAnthropic,
  type IssuedToken,
  startFakeAnthropic,
  TOKEN_PATH,
} from "../helpers/fake-anthropic.ts";
import { type InterceptProxy, startInterceptProxy } from "../helpers/intercept-proxy.ts";

const CLAUDE = realpathSync(join(REPO_ROOT, "node_modules/.bin/claude"));
const WORKER = join(REPO_ROOT, "tests/reliability/refresh-worker.ts");
const store = createFileStore();
let fake: FakeAnthropic;
let proxy: InterceptProxy;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  proxy = await startInterceptProxy(fake.url);
});
afterAll(async () => {
  await proxy.stop();
  await fake.stop();
});

async function account(): Promise<{ root: string; configDir: string; lockPath: string; token: IssuedToken }> {
  const root = tempDir("claude-refresh-");
  const configDir = join(root, "accounts", "acct-01");
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  // Within claude's 5-minute window: a claude that starts now refreshes it first thing.
  const token = fake.issueToken({ expiresInMs: 2 * 60_000 });
  await store.write(configDir, {
    claudeAiOauth: {
      accessToken: token.accessToken,
      refreshToken: token.refreshToken,
      expiresAt: token.expiresAt,
      scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
      subscriptionType: "max",
    },
  });
  writeFileSync(join(configDir, ".claude.json"), JSON.stringify({ hasCompletedOnboarding: true }));
  return { root, configDir, lockPath: join(root, "locks", "acct-01.refresh.lock"), token };
}

async function runClaude(configDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([CLAUDE, "-p", "hello"], {
    cwd: tempDir("project-"),
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? tempDir("home-"),
      CLAUDE_CONFIG_DIR: configDir,
      ANTHROPIC_BASE_URL: fake.url,
      HTTPS_PROXY: proxy.url,
      https_proxy: proxy.url,
      NO_PROXY: "127.0.0.1,localhost",
      NODE_EXTRA_CA_CERTS: proxy.caPath,
      DISABLE_AUTOUPDATER: "1",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return collectOutput(proc, 90_000);
}

const tokenCalls = (chainId: string) =>
  fake.requests.filter((r) => r.path === TOKEN_PATH && r.chainId === chainId);

test("the proxy brings the real claude's own refresh to the fake token endpoint", async () => {
  const a = await account();
  const r = await runClaude(a.configDir);
  expect(r.code).toBe(0);
  const calls = tokenCalls(a.token.chainId);
  expect(calls).toHaveLength(1);
  expect(proxy.seen.some((s) => s.host === "platform.claude.com" && s.path === TOKEN_PATH)).toBe(true);
  const chain = fake.chain(a.token.chainId);
  expect(chain).toMatchObject({ alive: true, refreshCount: 1, invalidGrantCount: 0 });
  expect((await store.read(a.configDir))?.claudeAiOauth?.refreshToken).toBe(chain.current.refreshToken);
}, 120_000);

test("cc-pool refreshes first (slow answer): the real claude respects its locks and never spends the token", async () => {
  const a = await account();
  fake.clearRequests();
  // Long enough for claude to start and reach its own refresh while ours is still out.
  fake.fault("slow-rotate", { path: TOKEN_PATH, delayMs: 12_000 });
  // cc-pool in its own process, like the daemon or `ccp run`.
  const worker = Bun.spawn([process.execPath, WORKER, a.configDir, a.lockPath, fake.tokenUrl, "force"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const ours = new Response(worker.stdout).text().then((out) => JSON.parse(out.trim()) as RefreshOutcome);
  // Our locks are held and our request is out before claude starts.
  while (!existsSync(join(a.configDir, ".oauth_refresh.lock"))) await Bun.sleep(10);
  await Bun.sleep(500);
  const claude = runClaude(a.configDir);
  const [outcome, r] = await Promise.all([ours, claude]);
  await worker.exited;
  expect(outcome.status).toBe("rotated");
  expect(r.code).toBe(0);
  const chain = fake.chain(a.token.chainId);
  expect(chain).toMatchObject({ alive: true, invalidGrantCount: 0 });
  // Exactly one network refresh: claude found the rotated token under the lock and used it.
  expect(chain.refreshCount).toBe(1);
  const stored = JSON.parse(readFileSync(join(a.configDir, ".credentials.json"), "utf8"));
  expect(stored.claudeAiOauth.refreshToken).toBe(chain.current.refreshToken);
  // Claude never sent a refresh of its own: it found our lock held, and its token was still valid.
  expect(tokenCalls(a.token.chainId)).toHaveLength(1);
  expect(fake.requests.some((q) => q.path.startsWith("/v1/messages") && q.status === 200)).toBe(true);
}, 120_000);

test("the real claude refreshes first (slow answer): cc-pool waits on claude's locks and skips", async () => {
  const a = await account();
  fake.clearRequests();
  fake.fault("slow-rotate", { path: TOKEN_PATH, delayMs: 4_000 });
  const claude = runClaude(a.configDir);
  // Claude's request is out, under its locks.
  while (tokenCalls(a.token.chainId).length === 0) await Bun.sleep(20);
  const outcome = await refreshAccountToken({
    configDir: a.configDir,
    store,
    lockPath: a.lockPath,
    tokenUrl: fake.tokenUrl,
    seenAccessToken: a.token.accessToken,
    force: true,
  });
  const r = await claude;
  expect(r.code).toBe(0);
  expect(outcome).toMatchObject({ status: "skipped-fresh", reason: "rotated-elsewhere" });
  const chain = fake.chain(a.token.chainId);
  expect(chain).toMatchObject({ alive: true, refreshCount: 1, invalidGrantCount: 0 });
  expect((await store.read(a.configDir))?.claudeAiOauth?.refreshToken).toBe(chain.current.refreshToken);
}, 120_000);
