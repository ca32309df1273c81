// The fault suite for "a login is never lost": real cc-pool processes killed at each step of a
// refresh, a real full disk (tmpfs) at each step, slow and dropped token answers, a concurrent
// login writing a new chain (a writer and the real `claude auth login` through the intercepting
// proxy), `ccp remove --keep-credential` racing a refresh, a symlinked credential, and many rounds of cc-pool refreshing while
// a claude-like writer rotates the same account. Every case runs against the fake token endpoint,
// whose chains are single-use like Anthropic's (a reused refresh token kills the chain).
// Prints one line per category with its figures.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { recoverIfInterrupted } from "../../src/secrets/credential-write.ts";
import { createFileStore } from "../../src/secrets/file-store.ts";
import type { CredentialBlob } from "../../src/secrets/types.ts";
import { refreshAccountToken, type RefreshOutcome } from "../../src/usage/refresh.ts";
import { REPO_ROOT, collectOutput, runCli, tempDir } from "../helpers/cli.ts";
import { writeFakeBrowser } from "../helpers/fake-browser.ts";
import { type InterceptProxy, startInterceptProxy } from "../helpers/intercept-proxy.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { makePool } from "../helpers/pool.ts";
import {
  type FakeAnthropic,
  type IssuedToken,
  startFakeAnthropic,
  TOKEN_PATH,
} from "../helpers/fake-anthropic.ts";

const WORKER = join(import.meta.dir, "refresh-worker.ts");
const CLAUDE = realpathSync(join(REPO_ROOT, "node_modules/.bin/claude"));

/** The real `claude auth login` in `configDir`, its browser played by the fake browser. */
async function realClaudeLogin(
  configDir: string,
  proxy: InterceptProxy,
  scratch: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([CLAUDE, "auth", "login"], {
    cwd: scratch,
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
      BROWSER: writeFakeBrowser(scratch),
    },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  return collectOutput(proc, 90_000);
}
const store = createFileStore();
let fake: FakeAnthropic;

interface Tally {
  injected: number;
  lost: number;
  spentTwice: number;
  staleOverwrites: number;
  tokensOutside: number;
  notes: string[];
}
const tallies = new Map<string, Tally>();
function tally(category: string): Tally {
  let t = tallies.get(category);
  if (!t) {
    t = { injected: 0, lost: 0, spentTwice: 0, staleOverwrites: 0, tokensOutside: 0, notes: [] };
    tallies.set(category, t);
  }
  return t;
}

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
  for (const [category, t] of tallies) {
    const extra = t.notes.length > 0 ? ` (${t.notes.join("; ")})` : "";
    console.log(
      `${category}: ${t.injected} injected, ${t.lost} logins lost, ${t.spentTwice} refresh tokens spent twice, ${t.staleOverwrites} stale overwrites, ${t.tokensOutside} tokens left outside .credentials.json${extra}`,
    );
  }
});

interface Account {
  root: string;
  configDir: string;
  lockPath: string;
  token: IssuedToken;
}

function blobOf(token: IssuedToken, padding = 0): CredentialBlob {
  return {
    // Claude keeps MCP servers' OAuth state in the same blob; with a few servers it spans pages.
    ...(padding > 0 ? { mcpOAuth: { "server|pad": { state: "p".repeat(padding) } } } : {}),
    claudeAiOauth: {
      accessToken: token.accessToken,
      refreshToken: token.refreshToken,
      expiresAt: token.expiresAt,
      scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
      subscriptionType: "max",
    },
  };
}

async function makeAccount(
  root = tempDir("faults-"),
  expiresInMs = 2 * 60_000,
  padding = 0,
): Promise<Account> {
  const configDir = join(root, "accounts", "acct-01");
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const token = fake.issueToken({ expiresInMs });
  await store.write(configDir, blobOf(token, padding));
  return { root, configDir, lockPath: join(root, "locks", "acct-01.refresh.lock"), token };
}

/** Files under the account (and next to it) that hold a token, other than the credential itself. */
function tokensOutside(account: Account, allowed: string[] = []): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (
        st.isFile() &&
        name !== ".credentials.json" &&
        !name.startsWith("filler") &&
        !allowed.includes(full)
      ) {
        if (readFileSync(full, "utf8").includes("sk-ant-")) found.push(full);
      }
    }
  };
  walk(account.root);
  return found;
}

/** The verdict on one account after a fault and the next access (recovery). */
async function judge(account: Account, t: Tally, allowed: string[] = []): Promise<{ intact: boolean }> {
  await recoverIfInterrupted({ configDir: account.configDir, store, lockPath: account.lockPath });
  const chain = fake.chain(account.token.chainId);
  const stored = (await store.read(account.configDir))?.claudeAiOauth;
  const intact = chain.alive && stored?.refreshToken === chain.current.refreshToken;
  if (!intact) t.lost += 1;
  if (chain.invalidGrantCount > 0) t.spentTwice += 1;
  const outside = tokensOutside(account, allowed);
  t.tokensOutside += outside.length;
  return { intact };
}

interface WorkerRun {
  code: number | null;
  signal: string | number | null;
  outcome: RefreshOutcome | null;
}

async function runWorker(
  account: Account,
  env: Record<string, string> = {},
  force = true,
  onSpawn?: (proc: ReturnType<typeof Bun.spawn>) => Promise<void>,
): Promise<WorkerRun> {
  const proc = Bun.spawn(
    [process.execPath, WORKER, account.configDir, account.lockPath, fake.tokenUrl, force ? "force" : ""],
    { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" },
  );
  try {
    if (onSpawn) await onSpawn(proc);
    const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    const line = out.trim().split("\n").at(-1) ?? "";
    return {
      code: proc.exitCode,
      signal: proc.signalCode,
      outcome: line.startsWith("{") ? (JSON.parse(line) as RefreshOutcome) : null,
    };
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  }
}

async function waitForFile(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    await Bun.sleep(20);
  }
}

const STEPS = ["locked", "before-request", "after-answer", "after-temp-write", "after-rename"] as const;

describe("SIGKILL at each step of a refresh", () => {
  for (const step of STEPS) {
    test(`killed at ${step}: the next access recovers; no token left behind`, async () => {
      const t = tally("SIGKILL at each refresh step");
      const account = await makeAccount();
      const run = await runWorker(account, { CCP_FAULT_AT: `${step}:kill` });
      expect(run.signal).toBe("SIGKILL");
      t.injected += 1;
      const { intact } = await judge(account, t);
      if (step === "after-answer") {
        // The answer existed only in the killed process's memory: the server rotated, and no
        // client could have kept that pair. The stored login is left as it was (not wiped).
        expect(intact).toBe(false);
        t.notes.push(
          "the 1 lost is the kill right after the answer, before its first write: the server had rotated and the new pair lived only in the killed process; the stored login was left untouched, never wiped",
        );
        expect((await store.read(account.configDir))?.claudeAiOauth?.refreshToken).toBe(
          account.token.refreshToken,
        );
      } else {
        expect(intact).toBe(true);
      }
      expect(tokensOutside(account)).toEqual([]);
      // And the account refreshes normally afterwards (locks left by the dead process are taken over).
      if (step !== "after-answer") {
        const again = await runWorker(account, {}, true);
        expect(again.outcome?.status).toBe("rotated");
        expect((await judge(account, t)).intact).toBe(true);
      }
    }, 60_000);
  }
});

describe("a full disk at each step (a real tmpfs)", () => {
  const isRoot = process.getuid?.() === 0;
  for (const step of ["locked", "before-request", "after-answer", "after-temp-write"] as const) {
    test.skipIf(!isRoot)(
      `disk full at ${step}: no refresh token is spent unless its result is stored`,
      async () => {
        const t = tally("disk full at each refresh step");
        const outer = tempDir("tmpfs-");
        const mount = join(outer, "mnt");
        const faultDir = join(outer, "faults");
        mkdirSync(mount);
        mkdirSync(faultDir);
        const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mount]);
        expect(mounted.exitCode).toBe(0);
        try {
          // A blob of several pages, so its write needs blocks the full disk no longer has.
          const account = await makeAccount(mount, undefined, 12 * 1024);
          fake.fault("slow-rotate", { path: TOKEN_PATH, delayMs: 200 });
          const run = await runWorker(
            account,
            { CCP_FAULT_AT: `${step}:pause`, CCP_FAULT_DIR: faultDir },
            true,
            async () => {
              await waitForFile(join(faultDir, `${step}.paused`));
              // Fill every byte that is left.
              let i = 0;
              try {
                for (;;) writeFileSync(join(mount, `filler-${i++}`), Buffer.alloc(16 * 1024, 1));
              } catch {
                // ENOSPC: the disk is full.
              }
              try {
                for (;;) writeFileSync(join(mount, `filler-${i++}`), "x");
              } catch {
                // Not even a byte left.
              }
              writeFileSync(join(faultDir, `${step}.go`), "");
            },
          );
          fake.clearFaults();
          t.injected += 1;
          const chain = fake.chain(account.token.chainId);
          if (step === "locked") {
            expect(run.outcome?.status).toBe("transient");
            expect(chain.refreshCount).toBe(0);
          } else {
            expect(run.outcome?.status).toBe("rotated");
          }
          expect((await judge(account, t)).intact).toBe(true);
        } finally {
          Bun.spawnSync(["umount", "-l", mount]);
          rmSync(outer, { recursive: true, force: true });
        }
      },
      60_000,
    );
  }
});

test.skipIf(process.getuid?.() !== 0)(
  "`ccp run` with CCP_HOME on a disk that fills while its refresh is in flight: claude's status, the new login stored",
  async () => {
    const t = tally("disk full at each refresh step");
    const outer = tempDir("tmpfs-run-");
    const mount = join(outer, "mnt");
    mkdirSync(mount);
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount]).exitCode).toBe(0);
    try {
      const pool = await makePool(
        fake,
        [{ name: "tight", util5Pct: 10, util7Pct: 10, expiresInMs: 30_000 }],
        {
          CCP_HOME: join(mount, ".cc-pool"),
          PATH: pathWith(standInClaudeDir()),
        },
      );
      const account = pool.accounts[0]!;
      fake.fault("slow-rotate", { path: TOKEN_PATH, delayMs: 1_500 });
      const run = runCli(["run"], {
        env: { ...pool.vars, FAKE_CLAUDE_EXIT: "3" },
        cwd: tempDir(),
        timeoutMs: 60_000,
      });
      // The refresh is out (the fake logs a request when it answers; the lock dir appears first).
      const lockDir = join(account.configDir, ".oauth_refresh.lock");
      for (const deadline = Date.now() + 20_000; !existsSync(lockDir) && Date.now() < deadline; )
        await Bun.sleep(10);
      await Bun.sleep(300);
      let i = 0;
      try {
        for (;;) writeFileSync(join(mount, `filler-${i++}`), Buffer.alloc(16 * 1024, 1));
      } catch {
        // Full.
      }
      try {
        for (;;) writeFileSync(join(mount, `filler-${i++}`), "x");
      } catch {
        // Not a byte left.
      }
      const r = await run;
      t.injected += 1;
      expect(r.code).toBe(3);
      expect(r.stderr).not.toContain("Unexpected error");
      const chain = fake.chain(account.token.chainId);
      const stored = (await store.read(account.configDir))?.claudeAiOauth;
      if (!(chain.alive && stored?.refreshToken === chain.current.refreshToken)) t.lost += 1;
      expect(chain).toMatchObject({ alive: true, refreshCount: 1, invalidGrantCount: 0 });
      expect(stored?.refreshToken).toBe(chain.current.refreshToken);
    } finally {
      fake.clearFaults();
      Bun.spawnSync(["umount", "-l", mount]);
      rmSync(outer, { recursive: true, force: true });
    }
  },
  60_000,
);

describe("slow and dropped token answers", () => {
  test("an answer after 9 s (past the old 8 s limit) is waited for and stored", async () => {
    const t = tally("slow and dropped token answers");
    const account = await makeAccount();
    fake.fault("slow-rotate", { path: TOKEN_PATH, delayMs: 9_000 });
    const run = await runWorker(account);
    t.injected += 1;
    expect(run.outcome?.status).toBe("rotated");
    expect((await judge(account, t)).intact).toBe(true);
  }, 60_000);

  test("a rotation whose answer never arrives is outcome-unknown: nothing written, not needs-login", async () => {
    const t = tally("slow and dropped token answers");
    for (const [mode, timeoutMs] of [
      ["rotate-drop", 30_000],
      ["slow-rotate", 300],
    ] as const) {
      const account = await makeAccount();
      const before = readFileSync(join(account.configDir, ".credentials.json"), "utf8");
      fake.fault(mode, { path: TOKEN_PATH, delayMs: 1_500 });
      const run = await runWorker(account, { WORKER_TIMEOUT_MS: String(timeoutMs) });
      t.injected += 1;
      expect(run.outcome?.status).toBe("outcome-unknown");
      // Left exactly as it was: never wiped, never marked as a lost login.
      expect(readFileSync(join(account.configDir, ".credentials.json"), "utf8")).toBe(before);
      expect(tokensOutside(account)).toEqual([]);
      expect(fake.chain(account.token.chainId).invalidGrantCount).toBe(0);
    }
    t.notes.push("answers that never arrived: stored login left byte-for-byte, outcome-unknown, no retry");
  }, 60_000);

  test("a server that echoes the refresh token back: the chain stays usable", async () => {
    const t = tally("slow and dropped token answers");
    fake.setTokenOptions({ echoRefreshToken: true });
    try {
      const account = await makeAccount();
      for (let i = 0; i < 3; i++) expect((await runWorker(account)).outcome?.status).toBe("rotated");
      t.injected += 1;
      expect((await judge(account, t)).intact).toBe(true);
      expect((await store.read(account.configDir))?.claudeAiOauth?.refreshToken).toBe(
        account.token.refreshToken,
      );
    } finally {
      fake.setTokenOptions({ echoRefreshToken: false });
    }
  }, 60_000);
});

describe("concurrent writers", () => {
  test("a login writing a new chain during the refresh wins; the refresh is discarded", async () => {
    const t = tally("concurrent claude auth login");
    for (let round = 0; round < 4; round++) {
      const account = await makeAccount();
      const login = fake.issueToken({ label: `login-${round}` });
      fake.fault("slow-rotate", { path: TOKEN_PATH, delayMs: 400 });
      const faultDir = tempDir("login-");
      const run = await runWorker(
        account,
        { CCP_FAULT_AT: "before-request:pause", CCP_FAULT_DIR: faultDir },
        true,
        async () => {
          await waitForFile(join(faultDir, "before-request.paused"));
          writeFileSync(join(faultDir, "before-request.go"), "");
          await Bun.sleep(100);
          // Like `claude auth login`: temp file + rename, ignoring the refresh locks.
          const tmp = join(account.configDir, ".credentials.json.tmp.login");
          writeFileSync(tmp, JSON.stringify(blobOf(login)), { mode: 0o600 });
          renameSync(tmp, join(account.configDir, ".credentials.json"));
        },
      );
      t.injected += 1;
      expect(run.outcome?.status).toBe("kept-newer");
      const stored = (await store.read(account.configDir))?.claudeAiOauth;
      if (stored?.refreshToken !== login.refreshToken) t.staleOverwrites += 1;
      expect(stored?.refreshToken).toBe(login.refreshToken);
      expect(tokensOutside(account)).toEqual([]);
    }
  }, 60_000);

  test("a real `claude auth login` during the refresh wins; cc-pool keeps the newer login", async () => {
    // The real CLI's whole browser login (authorize page, localhost callback, code exchange,
    // profile, roles) reaches the fake through the intercepting proxy, with a fake browser.
    const t = tally("concurrent claude auth login");
    const proxy = await startInterceptProxy(fake.url);
    try {
      const account = await makeAccount();
      writeFileSync(
        join(account.configDir, ".claude.json"),
        JSON.stringify({ hasCompletedOnboarding: true }),
      );
      const before = fake.identity(account.token.chainId);
      fake.setNextLogin("relogin-real");
      // Long enough for claude to start and finish its login while our request is out.
      fake.fault("slow-rotate", { path: TOKEN_PATH, delayMs: 20_000 });
      const faultDir = tempDir("real-login-");
      let login: { code: number; stdout: string; stderr: string } | null = null;
      const run = await runWorker(
        account,
        { CCP_FAULT_AT: "before-request:pause", CCP_FAULT_DIR: faultDir },
        true,
        async () => {
          await waitForFile(join(faultDir, "before-request.paused"));
          writeFileSync(join(faultDir, "before-request.go"), "");
          login = await realClaudeLogin(account.configDir, proxy, faultDir);
        },
      );
      t.injected += 1;
      expect(login).toMatchObject({ code: 0 });
      expect(login!.stdout).toContain("Login successful.");
      const newLogin = fake.logins.find((l) => l.label === "relogin-real");
      expect(newLogin).toBeDefined();
      const loginChain = fake.chain(newLogin!.chainId);
      expect(run.outcome?.status).toBe("kept-newer");
      const stored = (await store.read(account.configDir))?.claudeAiOauth;
      if (stored?.refreshToken !== loginChain.current.refreshToken) t.staleOverwrites += 1;
      expect(stored?.refreshToken).toBe(loginChain.current.refreshToken);
      expect(stored?.accessToken).toBe(loginChain.current.accessToken);
      // The identity and the credential name the same, new login; nothing was logged out.
      const identity = JSON.parse(readFileSync(join(account.configDir, ".claude.json"), "utf8")).oauthAccount;
      const expected = fake.identity(newLogin!.chainId);
      expect(identity).toMatchObject({ accountUuid: expected.accountUuid, emailAddress: expected.email });
      expect(identity.accountUuid).not.toBe(before.accountUuid);
      expect(loginChain).toMatchObject({ alive: true, invalidGrantCount: 0 });
      expect(fake.chain(account.token.chainId)).toMatchObject({ alive: true, invalidGrantCount: 0 });
      if (!stored?.refreshToken) t.lost += 1;
      expect(tokensOutside(account)).toEqual([]);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  /** A one-account pool whose token expires within a minute, as the refresh worker sees it. */
  async function poolOfOne() {
    const pool = await makePool(fake, [{ name: "kept", util5Pct: 10, util7Pct: 10, expiresInMs: 60_000 }]);
    const a = pool.accounts[0]!;
    const account: Account = {
      root: pool.env.ccpHome,
      configDir: a.configDir,
      lockPath: join(pool.env.ccpHome, "locks", "acct-01.refresh.lock"),
      token: a.token,
    };
    return { pool, a, account };
  }

  test("`ccp remove --keep-credential` during a refresh waits for it and keeps the new pair", async () => {
    const t = tally("remove --keep-credential during a refresh");
    const { pool, a, account } = await poolOfOne();
    const faultDir = tempDir("remove-");
    let removed: Awaited<ReturnType<typeof runCli>> | null = null;
    const run = await runWorker(
      account,
      { CCP_FAULT_AT: "after-temp-write:pause", CCP_FAULT_DIR: faultDir },
      true,
      async () => {
        // The server has rotated and the new pair sits in the staged temp file, under the locks.
        await waitForFile(join(faultDir, "after-temp-write.paused"));
        const removal = runCli(["remove", "1", "--keep-credential"], { env: pool.vars, timeoutMs: 60_000 });
        await Bun.sleep(1_500);
        writeFileSync(join(faultDir, "after-temp-write.go"), "");
        removed = await removal;
      },
    );
    t.injected += 1;
    expect(removed).toMatchObject({ code: 0 });
    expect(run.outcome?.status).toBe("rotated");
    const chain = fake.chain(a.token.chainId);
    const stored = (await store.read(a.configDir))?.claudeAiOauth;
    if (!(chain.alive && stored?.refreshToken === chain.current.refreshToken)) t.lost += 1;
    expect(chain).toMatchObject({ alive: true, refreshCount: 1, invalidGrantCount: 0 });
    expect(stored?.refreshToken).toBe(chain.current.refreshToken);
    // Only the login is kept: no lock, no temp copy of a token.
    expect(readdirSync(a.configDir)).toEqual([".credentials.json"]);
    const outside = tokensOutside(account);
    t.tokensOutside += outside.length;
    expect(outside).toEqual([]);
  }, 90_000);

  test("`ccp remove --keep-credential` after a killed write keeps the recovered pair, not the dead one", async () => {
    const t = tally("remove --keep-credential during a refresh");
    const { pool, a, account } = await poolOfOne();
    // Killed between the temp write and the rename: the only live pair is in the leftover.
    const run = await runWorker(account, { CCP_FAULT_AT: "after-temp-write:kill" });
    expect(run.signal).toBe("SIGKILL");
    const r = await runCli(["remove", "1", "--keep-credential"], { env: pool.vars, timeoutMs: 60_000 });
    t.injected += 1;
    expect(r.code).toBe(0);
    const chain = fake.chain(a.token.chainId);
    const stored = (await store.read(a.configDir))?.claudeAiOauth;
    if (!(chain.alive && stored?.refreshToken === chain.current.refreshToken)) t.lost += 1;
    expect(stored?.refreshToken).toBe(chain.current.refreshToken);
    expect(readdirSync(a.configDir)).toEqual([".credentials.json"]);
  }, 90_000);

  test(`cc-pool processes and a claude-like writer rotating the same account: 100 rounds`, async () => {
    const t = tally("cc-pool x2 + claude-like writer, 100 rounds");
    const account = await makeAccount(undefined, 60_000);
    const claudeLike = async (): Promise<void> => {
      // Claude Code's way: both mkdir locks, re-read, refresh only if nobody else did, write, release.
      const lock = join(account.configDir, ".oauth_refresh.lock");
      const sibling = `${account.configDir}.lock`;
      for (let i = 0; i < 400; i++) {
        try {
          mkdirSync(lock);
          break;
        } catch {
          await Bun.sleep(5);
        }
      }
      try {
        for (let i = 0; i < 400; i++) {
          try {
            mkdirSync(sibling);
            break;
          } catch {
            await Bun.sleep(5);
          }
        }
        const blob = (await store.read(account.configDir))!;
        const oauth = blob.claudeAiOauth!;
        if (oauth.expiresAt! - Date.now() > 5 * 60_000) return;
        const answer = await fetch(fake.tokenUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            grant_type: "refresh_token",
            refresh_token: oauth.refreshToken,
            client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
          }),
        });
        const body = (await answer.json()) as Record<string, unknown>;
        if (!answer.ok) return;
        const tmp = join(account.configDir, `.credentials.json.tmp.${process.pid}`);
        writeFileSync(
          tmp,
          JSON.stringify({
            ...blob,
            claudeAiOauth: {
              ...oauth,
              accessToken: body.access_token,
              refreshToken: body.refresh_token,
              // Short-lived, so every round wants a refresh again.
              expiresAt: Date.now() + 60_000,
            },
          }),
          { mode: 0o600 },
        );
        renameSync(tmp, join(account.configDir, ".credentials.json"));
      } finally {
        rmSync(sibling, { recursive: true, force: true });
        rmSync(lock, { recursive: true, force: true });
      }
    };
    fake.setTokenOptions({ expiresInS: 60 });
    try {
      for (let round = 0; round < 100; round++) {
        const ours = () =>
          refreshAccountToken({
            configDir: account.configDir,
            store,
            lockPath: account.lockPath,
            tokenUrl: fake.tokenUrl,
            refreshIfExpiresWithinMs: 10 * 60_000,
          });
        // A second cc-pool process every tenth round (process start-up is the slow part).
        const workers = round % 10 === 0 ? [runWorker(account, {}, false)] : [];
        const results = await Promise.all([ours(), ours(), claudeLike(), ...workers]);
        t.injected += 1;
        for (const r of results) {
          const status = r && "status" in r ? r.status : r && "outcome" in r ? r.outcome?.status : undefined;
          if (status === "needs-login" || status === "transient") t.notes.push(`round ${round}: ${status}`);
        }
        const chain = fake.chain(account.token.chainId);
        const stored = (await store.read(account.configDir))?.claudeAiOauth;
        if (!chain.alive || stored?.refreshToken !== chain.current.refreshToken) {
          t.lost += 1;
          break;
        }
      }
      expect(t.lost).toBe(0);
      expect(fake.chain(account.token.chainId).invalidGrantCount).toBe(0);
      await judge(account, t);
      expect(t.tokensOutside).toBe(0);
      t.notes.push(`${fake.chain(account.token.chainId).refreshCount} rotations`);
    } finally {
      fake.setTokenOptions({ expiresInS: 8 * 3600 });
    }
  }, 180_000);
});

test("a .credentials.json that is a symlink is written through: the link stays, its target is current", async () => {
  const t = tally("symlinked .credentials.json");
  const account = await makeAccount();
  const elsewhere = join(account.root, "elsewhere");
  mkdirSync(elsewhere);
  const target = join(elsewhere, "creds.json");
  renameSync(join(account.configDir, ".credentials.json"), target);
  symlinkSync(target, join(account.configDir, ".credentials.json"));
  const run = await runWorker(account);
  t.injected += 1;
  expect(run.outcome?.status).toBe("rotated");
  expect(readlinkSync(join(account.configDir, ".credentials.json"))).toBe(target);
  const chain = fake.chain(account.token.chainId);
  expect(JSON.parse(readFileSync(target, "utf8")).claudeAiOauth.refreshToken).toBe(
    chain.current.refreshToken,
  );
  expect((await judge(account, t, [target])).intact).toBe(true);
}, 60_000);
