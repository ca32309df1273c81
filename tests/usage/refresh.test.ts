import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { createFileStore } from "../../src/secrets/file-store.ts";
import type { CredentialBlob, CredentialStore } from "../../src/secrets/types.ts";
import {
  CLAUDE_REFRESH_LOCK_NAME,
  describeRefreshOutcome,
  type RefreshAccountOptions,
  refreshAccountToken,
} from "../../src/usage/refresh.ts";
import {
  type FakeAnthropic,
  type IssuedToken,
  startFakeAnthropic,
  TOKEN_PATH,
} from "../helpers/fake-anthropic.ts";

let fake: FakeAnthropic;
const store = createFileStore();
let configDir: string;
let lockPath: string;
let claudeLock: string;

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.clearFaults();
  fake.clearRequests();
  const dir = mkdtempSync(join(process.env.CCP_TEST_ROOT!, "refresh-"));
  configDir = join(dir, "accounts", "acct-01");
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  lockPath = join(dir, "locks", "acct-01.refresh.lock");
  claudeLock = join(configDir, CLAUDE_REFRESH_LOCK_NAME);
});

const MINUTE_MS = 60_000;

function blobFor(token: IssuedToken, oauth: Record<string, unknown> = {}): CredentialBlob {
  return {
    claudeAiOauth: {
      accessToken: token.accessToken,
      refreshToken: token.refreshToken,
      expiresAt: token.expiresAt,
      scopes: ["user:inference", "user:profile"],
      subscriptionType: "max",
      rateLimitTier: "default_claude_max_20x",
      somethingNew: { nested: 1 },
      ...oauth,
    },
    mcpOAuth: { "server|abc": { accessToken: "mcp-token", expiresAt: 5 } },
    unknownTopLevel: [1, 2, 3],
  };
}

/** Issues a token that expires soon and stores it in the account's config dir. */
async function seedExpiring(expiresInMs = 2 * MINUTE_MS): Promise<IssuedToken> {
  const token = fake.issueToken({ expiresInMs });
  await store.write(configDir, blobFor(token));
  return token;
}

function options(overrides: Partial<RefreshAccountOptions> = {}): RefreshAccountOptions {
  return {
    configDir,
    store,
    tokenUrl: fake.tokenUrl,
    lockPath,
    timeoutMs: 2000,
    lockWaitMs: 300,
    ...overrides,
  };
}

const tokenCalls = () => fake.requests.filter((r) => r.path === TOKEN_PATH).length;
const stored = async () => (await store.read(configDir))!;

function expectLocksReleased(): void {
  expect(existsSync(lockPath)).toBe(false);
  expect(existsSync(claudeLock)).toBe(false);
  expect(existsSync(`${configDir}.lock`)).toBe(false);
  expect(existsSync(join(configDir, ".oauth_refresh.lock.owner"))).toBe(false);
  expect(existsSync(join(configDir, ".storage-write.lock"))).toBe(false);
  // No temp copy of a token is left next to the credential.
  expect(readdirSync(configDir).filter((n) => n.includes(".tmp"))).toEqual([]);
}

describe("refreshAccountToken: refreshing", () => {
  test("refreshes an expiring token and writes back a blob that keeps every other field", async () => {
    const token = await seedExpiring();
    const nowMs = Date.now();
    const outcome = await refreshAccountToken(
      options({ seenAccessToken: token.accessToken, now: () => nowMs }),
    );
    expect(outcome).toEqual({ status: "rotated", newExpiresAtMs: nowMs + 8 * 3600 * 1000 });
    const chain = fake.chain(token.chainId);
    expect(chain).toMatchObject({ refreshCount: 1, alive: true });
    const blob = await stored();
    expect(blob).toEqual({
      claudeAiOauth: {
        accessToken: chain.current.accessToken,
        refreshToken: chain.current.refreshToken,
        expiresAt: nowMs + 8 * 3600 * 1000,
        scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
        subscriptionType: "max",
        rateLimitTier: "default_claude_max_20x",
        somethingNew: { nested: 1 },
      },
      mcpOAuth: { "server|abc": { accessToken: "mcp-token", expiresAt: 5 } },
      unknownTopLevel: [1, 2, 3],
    });
    expect(tokenCalls()).toBe(1);
    expectLocksReleased();
    expect(JSON.stringify(outcome)).not.toContain("sk-ant-");
  });

  test("keeps the old refresh token when the server does not rotate it, and the old scopes without a scope", async () => {
    fake.setTokenOptions({ rotateRefreshToken: false, scope: null });
    try {
      const token = await seedExpiring();
      expect((await refreshAccountToken(options())).status).toBe("rotated");
      const oauth = (await stored()).claudeAiOauth!;
      expect(oauth.refreshToken).toBe(token.refreshToken);
      expect(oauth.accessToken).not.toBe(token.accessToken);
      expect(oauth.scopes).toEqual(["user:inference", "user:profile"]);
    } finally {
      fake.setTokenOptions({
        rotateRefreshToken: true,
        scope: "user:inference user:profile user:sessions:claude_code",
      });
    }
  });

  test("holds every lock while it reads and writes the credential, and the sibling lock too", async () => {
    await seedExpiring();
    const seen: string[] = [];
    const held = () =>
      [lockPath, claudeLock, `${configDir}.lock`].map((p) => (existsSync(p) ? "y" : "n")).join("");
    const watching: CredentialStore = {
      ...store,
      read: (dir) => {
        seen.push(`read ${held()}`);
        return store.read(dir);
      },
      prepareWrite: async (dir, bytes) => {
        seen.push(`prepare ${held()}`);
        const prepared = await store.prepareWrite!(dir, bytes);
        return {
          stage: prepared.stage,
          commit: () => {
            seen.push(`commit ${held()} ${existsSync(join(configDir, ".storage-write.lock"))}`);
            return prepared.commit();
          },
          discard: prepared.discard,
        };
      },
    };
    expect((await refreshAccountToken(options({ store: watching }))).status).toBe("rotated");
    expect(seen).toEqual(["read yyy", "prepare yyy", "read yyy", "commit yyy true"]);
    expect(readFileSync(join(configDir, ".credentials.json"), "utf8")).toContain("sk-ant-oat01-fake-");
    expectLocksReleased();
  });
});

describe("refreshAccountToken: the request is shaped like Claude Code's", () => {
  const lastToken = () => fake.requests.filter((r) => r.path === TOKEN_PATH).at(-1)!;

  test("a claude.ai login asks for the default scopes plus its own, like claude; JSON; claude's version in the UA", async () => {
    await seedExpiring();
    expect((await refreshAccountToken(options({ claudeVersion: "2.1.332" }))).status).toBe("rotated");
    const sent = lastToken();
    // What the real claude 2.1.332 sends for such a blob (seen through the intercepting proxy).
    expect(sent.scope).toBe(
      "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload user:plugins",
    );
    expect(sent.clientId).toBe("9d1c250a-e61b-44d9-88ed-5944d1962f5e");
    expect(sent.contentType).toStartWith("application/json");
    expect(sent.userAgent).toContain("2.1.332");
  });

  test("a blob without scopes sends Claude Code's defaults; one on its own client exactly its scopes", async () => {
    const token = fake.issueToken({ expiresInMs: MINUTE_MS });
    await store.write(configDir, blobFor(token, { scopes: undefined, subscriptionType: undefined }));
    expect((await refreshAccountToken(options())).status).toBe("rotated");
    expect(lastToken().scope).toBe(
      "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload user:plugins",
    );
    fake.setTokenOptions({ acceptClientId: "own-client" });
    const other = fake.issueToken({ expiresInMs: MINUTE_MS });
    await store.write(
      configDir,
      blobFor(other, { scopes: ["user:profile", "org:read"], clientId: "own-client" }),
    );
    expect((await refreshAccountToken(options())).status).toBe("rotated");
    expect(lastToken().scope).toBe("user:profile org:read");
  });

  test("a clientId stored in the blob wins over CLAUDE_CODE_OAUTH_CLIENT_ID, which wins over the default", async () => {
    fake.setTokenOptions({ acceptClientId: "client-from-blob" });
    fake.setTokenOptions({ acceptClientId: "client-from-env" });
    const token = fake.issueToken({ expiresInMs: MINUTE_MS });
    await store.write(configDir, blobFor(token, { clientId: "client-from-blob" }));
    expect((await refreshAccountToken(options({ envClientId: "client-from-env" }))).status).toBe("rotated");
    expect(lastToken().clientId).toBe("client-from-blob");
    const other = fake.issueToken({ expiresInMs: MINUTE_MS });
    await store.write(configDir, blobFor(other));
    expect((await refreshAccountToken(options({ envClientId: "client-from-env" }))).status).toBe("rotated");
    expect(lastToken().clientId).toBe("client-from-env");
  });
});

describe("refreshAccountToken: skipping", () => {
  test("a blob without expiresAt is refreshed: its expiry is unknown", async () => {
    const token = fake.issueToken({ expiresInMs: 8 * 3600 * 1000 });
    await store.write(configDir, blobFor(token, { expiresAt: undefined }));
    expect((await refreshAccountToken(options())).status).toBe("rotated");
    expect(typeof (await stored()).claudeAiOauth?.expiresAt).toBe("number");
  });

  test("a token that is not close to expiry is fresh: no network call", async () => {
    const token = await seedExpiring(8 * 3600 * 1000);
    expect(await refreshAccountToken(options())).toEqual({ status: "skipped-fresh", reason: "fresh" });
    expect(tokenCalls()).toBe(0);
    expect((await stored()).claudeAiOauth?.accessToken).toBe(token.accessToken);
    expectLocksReleased();
  });

  test("the freshness window is the caller's, and `force` refreshes anyway", async () => {
    await seedExpiring(30 * MINUTE_MS);
    expect((await refreshAccountToken(options())).status).toBe("skipped-fresh");
    expect((await refreshAccountToken(options({ refreshIfExpiresWithinMs: 60 * MINUTE_MS }))).status).toBe(
      "rotated",
    );
    expect((await refreshAccountToken(options())).status).toBe("skipped-fresh");
    expect((await refreshAccountToken(options({ force: true }))).status).toBe("rotated");
    expect(tokenCalls()).toBe(2);
  });

  test("uses the injected clock for the freshness check", async () => {
    const token = await seedExpiring(8 * 3600 * 1000);
    const later = () => token.expiresAt - MINUTE_MS;
    expect((await refreshAccountToken(options({ now: later }))).status).toBe("rotated");
  });

  test("a token that differs from the one the caller saw was already rotated: no network call", async () => {
    await seedExpiring();
    const outcome = await refreshAccountToken(
      options({ seenAccessToken: "sk-ant-oat01-fake-something-older", force: true }),
    );
    expect(outcome).toEqual({ status: "skipped-fresh", reason: "rotated-elsewhere" });
    expect(tokenCalls()).toBe(0);
    expectLocksReleased();
  });

  test("an access-only blob or a dead chain (empty refresh token) has nothing to refresh", async () => {
    const token = fake.issueToken({ expiresInMs: MINUTE_MS });
    const { refreshToken: _omitted, ...accessOnly } = blobFor(token).claudeAiOauth!;
    await store.write(configDir, { claudeAiOauth: accessOnly });
    expect(await refreshAccountToken(options())).toEqual({
      status: "skipped-fresh",
      reason: "no-refresh-token",
    });
    await store.write(configDir, blobFor(token, { refreshToken: "" }));
    expect(await refreshAccountToken(options())).toEqual({
      status: "skipped-fresh",
      reason: "no-refresh-token",
    });
    expect(tokenCalls()).toBe(0);
  });

  test("no credential at all, or a blob without claudeAiOauth", async () => {
    expect(await refreshAccountToken(options())).toEqual({ status: "no-credential" });
    await store.write(configDir, { mcpOAuth: {} });
    expect(await refreshAccountToken(options())).toEqual({ status: "no-credential" });
    expectLocksReleased();
  });
});

describe("refreshAccountToken: failures", () => {
  test("invalid_grant is reported, and the stored credential is left alone", async () => {
    const token = await seedExpiring();
    const before = readFileSync(join(configDir, ".credentials.json"), "utf8");
    fake.revoke(token.chainId);
    expect(await refreshAccountToken(options())).toEqual({ status: "needs-login", reason: "invalid-grant" });
    expect(readFileSync(join(configDir, ".credentials.json"), "utf8")).toBe(before);
    expectLocksReleased();
  });

  test("invalid_grant after someone outside the locks stored a new chain keeps that chain, not a lost login", async () => {
    const token = await seedExpiring();
    fake.fault("invalid-grant", { path: TOKEN_PATH });
    let reads = 0;
    const racing: CredentialStore = {
      ...store,
      read: async (dir) => {
        reads += 1;
        if (reads === 2)
          await store.write(dir, blobFor(token, { refreshToken: "sk-ant-ort01-fake-rotated-elsewhere" }));
        return store.read(dir);
      },
    };
    expect(await refreshAccountToken(options({ store: racing }))).toEqual({ status: "kept-newer" });
    // Without the rotation the same answer means a lost login.
    await store.write(configDir, blobFor(token));
    fake.fault("invalid-grant", { path: TOKEN_PATH });
    expect(await refreshAccountToken(options())).toEqual({ status: "needs-login", reason: "invalid-grant" });
  });

  test("server errors, bare 401s, rate limits and refused connections are transient and change nothing", async () => {
    const token = await seedExpiring();
    const before = readFileSync(join(configDir, ".credentials.json"), "utf8");
    const cases = [
      ["500", "server"],
      ["401", "unauthorized"],
      ["429", "rate-limited"],
      ["400", "http"],
    ] as const;
    for (const [mode, kind] of cases) {
      fake.fault(mode, { path: TOKEN_PATH });
      const outcome = await refreshAccountToken(options());
      expect(outcome).toMatchObject({ status: "transient", kind });
      if (outcome.status === "transient") expect(outcome.message).not.toContain("sk-ant-");
      expectLocksReleased();
    }
    const closed = await startFakeAnthropic();
    await closed.stop();
    expect(await refreshAccountToken(options({ tokenUrl: closed.tokenUrl }))).toMatchObject({
      status: "transient",
      kind: "network",
    });
    expect(readFileSync(join(configDir, ".credentials.json"), "utf8")).toBe(before);
    expect(fake.chain(token.chainId)).toMatchObject({ alive: true, refreshCount: 0 });
    // And the chain still refreshes once the trouble is over.
    expect((await refreshAccountToken(options())).status).toBe("rotated");
  });

  test("a timeout, or a 2xx whose body cannot be read, is outcome-unknown: nothing is changed or retried", async () => {
    await seedExpiring();
    const before = readFileSync(join(configDir, ".credentials.json"), "utf8");
    for (const mode of ["slow", "html", "truncated"] as const) {
      fake.clearRequests();
      fake.fault(mode, { path: TOKEN_PATH, delayMs: 5000 });
      const outcome = await refreshAccountToken(options({ timeoutMs: 300 }));
      expect(outcome.status).toBe("outcome-unknown");
      expect(JSON.stringify(outcome)).not.toContain("sk-ant-");
      expect(tokenCalls()).toBe(1);
      expect(readFileSync(join(configDir, ".credentials.json"), "utf8")).toBe(before);
      expectLocksReleased();
    }
  });

  test("a store that cannot read, or cannot prepare the write, spends nothing and releases the locks", async () => {
    const token = await seedExpiring();
    const failing: CredentialStore = {
      ...store,
      read: async () => {
        throw new CcpError("credential", "Cannot read /x/.credentials.json (EACCES).");
      },
    };
    expect(await refreshAccountToken(options({ store: failing }))).toEqual({
      status: "transient",
      kind: "credential-store",
      message: "Cannot read /x/.credentials.json (EACCES).",
    });
    const full: CredentialStore = {
      ...store,
      prepareWrite: async () => {
        throw new CcpError("credential", "Cannot prepare a write of /x/.credentials.json (ENOSPC).");
      },
    };
    const outcome = await refreshAccountToken(options({ store: full }));
    expect(outcome).toMatchObject({ status: "transient", kind: "credential-store" });
    if (outcome.status === "transient") expect(outcome.message).toStartWith("No refresh was attempted");
    expect(tokenCalls()).toBe(0);
    expect(fake.chain(token.chainId).refreshCount).toBe(0);
    expectLocksReleased();
  });
});

describe("refreshAccountToken: locks", () => {
  test("waits for Claude Code's lock and gives up with lock-busy while it is held", async () => {
    await seedExpiring();
    mkdirSync(claudeLock);
    const outcome = await refreshAccountToken(options({ lockWaitMs: 200 }));
    expect(outcome).toMatchObject({ status: "transient", kind: "lock-busy" });
    expect(tokenCalls()).toBe(0);
    // Claude's lock is claude's: left in place. Ours is released.
    expect(existsSync(claudeLock)).toBe(true);
    expect(existsSync(lockPath)).toBe(false);
  });

  test("proceeds once Claude Code releases its lock", async () => {
    await seedExpiring();
    mkdirSync(claudeLock);
    const running = refreshAccountToken(options({ lockWaitMs: 10_000 }));
    await Bun.sleep(100);
    expect(tokenCalls()).toBe(0);
    rmdirSync(claudeLock);
    expect((await running).status).toBe("rotated");
    expectLocksReleased();
  });

  test("respects a Claude Code lock touched within 60 s, takes over one older than that (2.1.332)", async () => {
    await seedExpiring();
    mkdirSync(claudeLock);
    let oldS = Date.now() / 1000 - 20;
    utimesSync(claudeLock, oldS, oldS);
    expect((await refreshAccountToken(options())).status).toBe("transient");
    expect(tokenCalls()).toBe(0);
    oldS = Date.now() / 1000 - 90;
    utimesSync(claudeLock, oldS, oldS);
    expect((await refreshAccountToken(options())).status).toBe("rotated");
    expectLocksReleased();
  });

  test("waits on claude's sibling lock next to the config dir, and on its storage write lock", async () => {
    await seedExpiring();
    mkdirSync(`${configDir}.lock`);
    expect(await refreshAccountToken(options())).toMatchObject({ status: "transient", kind: "lock-busy" });
    expect(tokenCalls()).toBe(0);
    // Claude's first lock was given back when the second was busy, as claude itself does.
    expect(existsSync(claudeLock)).toBe(false);
    rmdirSync(`${configDir}.lock`);
    expect((await refreshAccountToken(options())).status).toBe("rotated");
  });

  test("takes over claude's lock early when its owner record proves the holder gone", async () => {
    const { pidSpace } = await import("../../src/usage/lock-dir.ts");
    await seedExpiring();
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    mkdirSync(claudeLock);
    const birth = statSync(claudeLock).birthtimeMs;
    const owner = join(configDir, ".oauth_refresh.lock.owner");
    // A live pid: respected.
    writeFileSync(
      owner,
      JSON.stringify({ pid: process.pid + 0, pidDomain: "x", pidSpace: pidSpace(), lockBirthtimeMs: birth }),
    );
    expect((await refreshAccountToken(options())).status).toBe("transient");
    writeFileSync(
      owner,
      JSON.stringify({ pid: dead.pid, pidDomain: "x", pidSpace: "elsewhere", lockBirthtimeMs: birth }),
    );
    expect((await refreshAccountToken(options())).status).toBe("transient");
    writeFileSync(
      owner,
      JSON.stringify({ pid: dead.pid, pidDomain: "x", pidSpace: pidSpace(), lockBirthtimeMs: birth }),
    );
    expect((await refreshAccountToken(options())).status).toBe("rotated");
    expectLocksReleased();
  });

  test("waits for cc-pool's own lock held by a live process", async () => {
    await seedExpiring();
    mkdirSync(lockPath, { recursive: true });
    writeFileSync(join(lockPath, "pid"), `${process.pid} someone-else\n`);
    const outcome = await refreshAccountToken(options({ lockWaitMs: 200 }));
    expect(outcome).toMatchObject({ status: "transient", kind: "lock-busy" });
    expect(tokenCalls()).toBe(0);
    expect(existsSync(lockPath)).toBe(true);
    expect(existsSync(claudeLock)).toBe(false);
  });

  test("takes over its own lock left by a dead process or gone stale", async () => {
    await seedExpiring();
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    mkdirSync(lockPath, { recursive: true });
    writeFileSync(join(lockPath, "pid"), `${dead.pid} gone\n`);
    expect((await refreshAccountToken(options({ force: true }))).status).toBe("rotated");
    expectLocksReleased();

    mkdirSync(lockPath, { recursive: true });
    writeFileSync(join(lockPath, "pid"), `${process.pid} alive-but-stuck\n`);
    const oldS = Date.now() / 1000 - 120;
    utimesSync(lockPath, oldS, oldS);
    expect((await refreshAccountToken(options({ force: true }))).status).toBe("rotated");
    expectLocksReleased();
  });

  test("a config dir that does not exist cannot be locked: transient, nothing left behind", async () => {
    const outcome = await refreshAccountToken(options({ configDir: join(configDir, "missing") }));
    expect(outcome).toMatchObject({ status: "transient", kind: "lock-failed" });
    expect(existsSync(lockPath)).toBe(false);
  });
});

test("describeRefreshOutcome names what happened and what to do", () => {
  expect(describeRefreshOutcome({ status: "rotated", newExpiresAtMs: 1 })).toBe("token refreshed");
  expect(describeRefreshOutcome({ status: "skipped-fresh", reason: "rotated-elsewhere" })).toContain(
    "already refreshed",
  );
  expect(describeRefreshOutcome({ status: "skipped-fresh", reason: "fresh" })).toContain("still valid");
  expect(describeRefreshOutcome({ status: "skipped-fresh", reason: "no-refresh-token" })).toContain(
    "log the account in again",
  );
  expect(describeRefreshOutcome({ status: "needs-login", reason: "invalid-grant" })).toContain(
    "log the account in again",
  );
  expect(describeRefreshOutcome({ status: "kept-newer" })).toContain("newer login");
  expect(describeRefreshOutcome({ status: "outcome-unknown", message: "timed out" })).toContain("unknown");
  expect(describeRefreshOutcome({ status: "transient", kind: "server", message: "HTTP 500." })).toBe(
    "refresh failed for now (server): HTTP 500.",
  );
  expect(describeRefreshOutcome({ status: "no-credential" })).toContain("no stored credential");
});
