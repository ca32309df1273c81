// The real `ccp daemon` process against the fake Anthropic server, with CCP_POLL_INTERVAL=1s: the
// whole schedule runs 180 times faster (backoff 1, 2, 4 s…; needs-login every 5 s).
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { claimDaemon, newOwner, readDaemonOwner } from "../../src/daemon/instance.ts";
import { openDaemonLog } from "../../src/daemon/log.ts";
import { EXIT_UPGRADED, runDaemon } from "../../src/daemon/run.ts";
import { loadEnv } from "../../src/env.ts";
import { writeTx } from "../../src/store/db.ts";
import { DAEMON_HEARTBEAT_KEY, getMeta, setMeta } from "../../src/store/meta.ts";
import { insertSession } from "../../src/store/sessions.ts";
import { VERSION } from "../../src/version.ts";
import { type FakeAnthropic, USAGE_PATH, TOKEN_PATH, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { tempDir } from "../helpers/cli.ts";
import { makePool, usagePayload } from "../helpers/pool.ts";
import {
  daemonLog,
  isAlive,
  reapAll,
  samples,
  startDaemon,
  trackPid,
  waitFor,
  withDb,
} from "../helpers/daemon.ts";

// Real processes on a 1 s schedule: a test may take a few seconds.
setDefaultTimeout(30_000);

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(async () => {
  await reapAll();
  fake.clearFaults();
});
afterAll(async () => {
  await fake.stop();
});

const home = (vars: Record<string, string>): string => vars.CCP_HOME as string;

function usageRequests(chainIds: string[]): number {
  return fake.requests.filter(
    (r) => r.path === USAGE_PATH && r.chainId !== null && chainIds.includes(r.chainId),
  ).length;
}

function health(ccpHome: string, accountId: number): Record<string, number | string | null> | null {
  return withDb(ccpHome, (db) =>
    db
      .query<Record<string, number | string | null>, [number]>(
        "SELECT * FROM auth_health WHERE account_id = ?",
      )
      .get(accountId),
  );
}

function credentialToken(configDir: string): string {
  return JSON.parse(readFileSync(join(configDir, ".credentials.json"), "utf8")).claudeAiOauth.accessToken;
}

/** `sleep` under the name `claude`, so a process scan takes it for a claude session. */
function claudeNamedSleep(): string {
  const dir = join(tempDir("claude-named-"), "bin");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "claude");
  symlinkSync(Bun.which("sleep") ?? "/bin/sleep", path);
  return path;
}

/** A stand-in process to own a session row (or to carry CLAUDE_CONFIG_DIR like an outside claude). */
function sleeper(env: Record<string, string> = {}, asClaude = true): number {
  const child = Bun.spawn([asClaude ? claudeNamedSleep() : "sleep", "60"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "ignore"],
  });
  trackPid(child.pid);
  return child.pid;
}

describe("polling", () => {
  test("every account gets samples; SIGTERM stops it cleanly and gives the pool up", async () => {
    const pool = await makePool(fake, [
      { name: "one", util5Pct: 10 },
      { name: "two", util5Pct: 20 },
      { name: "three", util5Pct: 30 },
    ]);
    // New in ~/.claude after the accounts were made: the daemon links it into every account.
    mkdirSync(join(pool.home, ".claude", "agents-new"));
    expect(existsSync(join(pool.accounts[0]!.configDir, "agents-new"))).toBe(false);
    const d = startDaemon(pool.vars);
    const rows = await waitFor("two samples of each account", () => {
      const s = samples(home(pool.vars));
      return (
        [1, 2, 3].every((id) => s.filter((r) => r.account_id === id && r.status === "ok").length >= 2) && s
      );
    });
    expect(new Set(rows.map((r) => r.util5_pct))).toEqual(new Set([10, 20, 30]));
    for (const a of pool.accounts)
      expect(readlinkSync(join(a.configDir, "agents-new"))).toBe(join(pool.home, ".claude", "agents-new"));
    expect(existsSync(join(home(pool.vars), "daemon.pid"))).toBe(true);
    withDb(home(pool.vars), (db) => {
      expect(readDaemonOwner(db)?.pid).toBe(d.pid);
      expect(Date.now() - Number(getMeta(db, DAEMON_HEARTBEAT_KEY))).toBeLessThan(90_000);
    });
    d.proc.kill("SIGTERM");
    expect(await d.proc.exited).toBe(0);
    withDb(home(pool.vars), (db) => {
      expect(readDaemonOwner(db)).toBeUndefined();
      expect(getMeta(db, DAEMON_HEARTBEAT_KEY)).toBeUndefined();
    });
    expect(existsSync(join(home(pool.vars), "daemon.pid"))).toBe(false);
    const log = daemonLog(home(pool.vars));
    expect(log).toContain("stopping (SIGTERM)");
    for (const a of pool.accounts) expect(log).not.toContain(a.token.accessToken);
    expect(log).not.toContain("sk-ant-");
  });

  test("SIGTERM aborts a request in flight and records nothing for it", async () => {
    const pool = await makePool(fake, [{ name: "slow" }]);
    fake.fault("slow", { delayMs: 20_000, count: "forever" });
    const d = startDaemon(pool.vars);
    await waitFor("the daemon to claim the pool", () => existsSync(join(home(pool.vars), "daemon.pid")));
    await Bun.sleep(300);
    d.proc.kill("SIGTERM");
    // Well before the 20 s answer: the request was aborted, not waited out.
    const code = await waitFor(
      "the daemon to exit",
      () => d.proc.exitCode ?? (d.proc.signalCode ? -1 : null),
      8_000,
    );
    expect(code).toBe(0);
    expect(samples(home(pool.vars))).toEqual([]);
  });
});

describe("overlay re-sync", () => {
  test("creates missing shared dirs in ~/.claude and merges an account's real one into the base", async () => {
    const pool = await makePool(fake, [{ name: "one", util5Pct: 10 }]);
    const dir = pool.accounts[0]!.configDir;
    // As an older cc-pool left it: no sessions/ in the base, a real one in the account.
    rmSync(join(pool.home, ".claude", "sessions"), { recursive: true });
    rmSync(join(pool.home, ".claude", "file-history"), { recursive: true });
    unlinkSync(join(dir, "sessions"));
    unlinkSync(join(dir, "file-history"));
    mkdirSync(join(dir, "sessions"));
    writeFileSync(join(dir, "sessions", "777.json"), '{"pid":777}');
    startDaemon(pool.vars);
    await waitFor("sessions/ linked", () => {
      try {
        return readlinkSync(join(dir, "sessions")) === join(pool.home, ".claude", "sessions");
      } catch {
        return false;
      }
    });
    expect(readFileSync(join(pool.home, ".claude", "sessions", "777.json"), "utf8")).toBe('{"pid":777}');
    expect(existsSync(join(pool.home, ".claude", "file-history"))).toBe(true);
    await waitFor("file-history/ linked", () => existsSync(join(dir, "file-history")));
    expect(readlinkSync(join(dir, "file-history"))).toBe(join(pool.home, ".claude", "file-history"));
    expect(daemonLog(home(pool.vars))).toContain("merged sessions into ~/.claude");
  });
});

describe("429", () => {
  test("Retry-After pauses the whole pool, then every account recovers", async () => {
    const pool = await makePool(fake, [{ name: "a" }, { name: "b" }, { name: "c" }]);
    const chains = pool.accounts.map((a) => a.token.chainId);
    fake.fault("429", { count: 1, retryAfter: "3" });
    startDaemon(pool.vars);
    await waitFor("the 429", () => samples(home(pool.vars)).some((s) => s.status === "rate_limited"));
    await Bun.sleep(1_500);
    // Without the pause, b and c (and a again) would have been polled a second into it.
    expect(usageRequests(chains)).toBe(1);
    await waitFor(
      "every account to recover",
      () => {
        const s = samples(home(pool.vars));
        return [1, 2, 3].every((id) => s.some((r) => r.account_id === id && r.status === "ok"));
      },
      10_000,
    );
    await waitFor("a's backoff to clear", () => health(home(pool.vars), 1)?.backoff_step === 0);
  });

  test("a storm without Retry-After: one request per sweep, growing backoff, recovery", async () => {
    const pool = await makePool(fake, [{ name: "a" }, { name: "b" }, { name: "c" }]);
    const chains = pool.accounts.map((a) => a.token.chainId);
    fake.fault("429-no-retry-after", { count: "forever" });
    const startedMs = Date.now();
    startDaemon(pool.vars);
    await Bun.sleep(2_600);
    const elapsedS = (Date.now() - startedMs) / 1000;
    const during = usageRequests(chains);
    // Sweeps start at most once a second and each stops at its first 429; without that, all
    // three accounts would be asked every second.
    expect(during).toBeGreaterThanOrEqual(2);
    expect(during).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
    expect(Number(health(home(pool.vars), 1)?.backoff_step)).toBeGreaterThanOrEqual(2);
    expect(samples(home(pool.vars)).every((s) => s.status === "rate_limited")).toBe(true);
    fake.clearFaults();
    await waitFor(
      "recovery with the backoff cleared",
      () =>
        [1, 2, 3].every(
          (id) =>
            health(home(pool.vars), id)?.backoff_step === 0 &&
            samples(home(pool.vars)).some((s) => s.account_id === id && s.status === "ok"),
        ),
      12_000,
    );
  });
});

describe("tokens", () => {
  test("a 401 on a credential a session just rotated recovers on the re-read, without a refresh", async () => {
    const pool = await makePool(fake, [{ name: "rot" }]);
    const account = pool.accounts[0]!;
    let rotated = false;
    // Stands in for the usage endpoint: on the first request it does what a session would do
    // meanwhile (store a new login, the old one dies), then lets the request reach the fake server.
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        if (!rotated) {
          rotated = true;
          const next = fake.issueToken({ label: "rot-next" });
          fake.setUsage(next.accessToken, usagePayload(42, 7));
          const blob = JSON.parse(readFileSync(join(account.configDir, ".credentials.json"), "utf8"));
          blob.claudeAiOauth.accessToken = next.accessToken;
          blob.claudeAiOauth.refreshToken = next.refreshToken;
          blob.claudeAiOauth.expiresAt = next.expiresAt;
          writeFileSync(join(account.configDir, ".credentials.json"), JSON.stringify(blob), { mode: 0o600 });
          fake.revoke(account.token.chainId);
        }
        return fetch(fake.usageUrl, { headers: req.headers });
      },
    });
    try {
      startDaemon({ ...pool.vars, CCP_USAGE_URL: `http://127.0.0.1:${proxy.port}${USAGE_PATH}` });
      const ok = await waitFor("an ok sample", () => samples(home(pool.vars)).find((s) => s.status === "ok"));
      expect(ok.util5_pct).toBe(42);
      const rows = samples(home(pool.vars));
      expect(rows.some((s) => s.status === "unauthorized")).toBe(false);
      expect(fake.requests.filter((r) => r.path === TOKEN_PATH)).toHaveLength(0);
      expect(fake.chain(account.token.chainId).refreshCount).toBe(0);
      expect(daemonLog(home(pool.vars))).toContain("[poll > reread]");
    } finally {
      await proxy.stop(true);
    }
  });

  test("401s on an expired token whose refresh keeps failing (5xx, no answer) never mark needs-login", async () => {
    const pool = await makePool(fake, [{ name: "expired", expiresInMs: -60_000 }]);
    fake.fault("500", { path: TOKEN_PATH, count: "forever" });
    startDaemon(pool.vars);
    // Many polls, each one a 401 for the expired token and a failed refresh.
    await waitFor("six polls", () => samples(home(pool.vars)).filter((s) => s.account_id === 1).length >= 6);
    expect(health(home(pool.vars), 1)?.needs_login).toBe(0);
    // The login itself is untouched: the chain is alive and its refresh token still stored.
    const chain = fake.chain(pool.accounts[0]!.token.chainId);
    expect(chain.alive).toBe(true);
    const stored = JSON.parse(readFileSync(join(pool.accounts[0]!.configDir, ".credentials.json"), "utf8"));
    expect(stored.claudeAiOauth.refreshToken).toBe(chain.current.refreshToken);
    // Once the token endpoint answers, the account recovers by itself.
    fake.clearFaults();
    await waitFor("the refresh", () => fake.chain(chain.chainId).refreshCount === 1);
  });

  test("a revoked login needs a new login and is then polled only every needs-login period", async () => {
    const pool = await makePool(fake, [{ name: "dead" }, { name: "fine" }]);
    fake.revoke(pool.accounts[0]!.token.chainId);
    startDaemon(pool.vars);
    await waitFor("needs-login", () => health(home(pool.vars), 1)?.needs_login === 1);
    const h = health(home(pool.vars), 1);
    expect(h?.refresh_failed).toBe(1);
    // The poll that ended in needs-login records its sample just after the mark: let it land.
    const deadCount = () => samples(home(pool.vars)).filter((s) => s.account_id === 1).length;
    let before = deadCount();
    for (let stable = 0; stable < 3; ) {
      await Bun.sleep(150);
      const now = deadCount();
      stable = now === before ? stable + 1 : 0;
      before = now;
    }
    // 2.5 s is 2+ sweeps; the scaled needs-login period is 5 s.
    await Bun.sleep(2_500);
    const rows = samples(home(pool.vars));
    expect(rows.filter((s) => s.account_id === 1).length).toBe(before);
    expect(rows.filter((s) => s.account_id === 2 && s.status === "ok").length).toBeGreaterThanOrEqual(2);
  });

  test("idle accounts are refreshed once before expiry; accounts with a session never are", async () => {
    const pool = await makePool(fake, [
      { name: "idle", expiresInMs: 5 * 60_000 },
      { name: "running", expiresInMs: 5 * 60_000 },
      { name: "outside", expiresInMs: 5 * 60_000 },
      { name: "orphaned", expiresInMs: 5 * 60_000 },
    ]);
    const [idle, running, outside, orphaned] = pool.accounts as [
      (typeof pool.accounts)[0],
      (typeof pool.accounts)[0],
      (typeof pool.accounts)[0],
      (typeof pool.accounts)[0],
    ];
    const shimPid = sleeper();
    withDb(home(pool.vars), (db) =>
      writeTx(db, () =>
        insertSession(db, {
          accountId: running.id,
          kind: "run",
          pid: shimPid,
          cwd: "/w",
          startedAtMs: Date.now(),
        }),
      ),
    );
    // A claude started by hand (`CLAUDE_CONFIG_DIR=$(ccp select) claude`), found by the scan.
    const outsidePid = sleeper({ CLAUDE_CONFIG_DIR: outside.configDir });
    // What claude's Bash tool leaves behind (`nohup sleep 600 &`): it inherited the variable but
    // is not a claude session, so it neither blocks the refresh nor counts as a session.
    const orphanPid = sleeper({ CLAUDE_CONFIG_DIR: orphaned.configDir }, false);
    startDaemon(pool.vars);

    await waitFor("the idle account's refresh", () => fake.chain(idle.token.chainId).refreshCount === 1);
    await waitFor(
      "the orphan's account refresh",
      () => fake.chain(orphaned.token.chainId).refreshCount === 1,
    );
    expect(
      withDb(home(pool.vars), (db) => db.query("SELECT 1 FROM sessions WHERE pid = ?").get(orphanPid)),
    ).toBeNull();
    await waitFor("the outside claude to be recorded", () =>
      withDb(home(pool.vars), (db) =>
        db
          .query("SELECT 1 FROM sessions WHERE kind = 'external' AND pid = ? AND ended_at_ms IS NULL")
          .get(outsidePid),
      ),
    );
    // Several refresh checks (one a second) later: still exactly one refresh, none for the others.
    await Bun.sleep(2_500);
    expect(fake.chain(idle.token.chainId).refreshCount).toBe(1);
    expect(fake.chain(running.token.chainId).refreshCount).toBe(0);
    expect(fake.chain(outside.token.chainId).refreshCount).toBe(0);
    expect(credentialToken(idle.configDir)).toBe(fake.chain(idle.token.chainId).current.accessToken);
    expect(credentialToken(running.configDir)).toBe(running.token.accessToken);
    // Polls after the refresh use the new token.
    await waitFor("a poll with the refreshed token", () =>
      fake.requests.some(
        (r) => r.path === USAGE_PATH && r.tokenId === `${idle.token.chainId}.a2` && r.status === 200,
      ),
    );
    expect(daemonLog(home(pool.vars))).toContain("a session is running");

    // The outside session ends: its row is closed and the account, idle now, gets its refresh.
    process.kill(outsidePid, "SIGKILL");
    await waitFor(
      "the outside account's refresh",
      () => fake.chain(outside.token.chainId).refreshCount === 1,
    );
    const ended = withDb(home(pool.vars), (db) =>
      db
        .query<{ ended_at_ms: number | null }, [number]>("SELECT ended_at_ms FROM sessions WHERE pid = ?")
        .get(outsidePid),
    );
    expect(ended?.ended_at_ms).not.toBeNull();
  });

  test("after a session rotates its token and ends, the daemon polls with the new one", async () => {
    const pool = await makePool(fake, [{ name: "busy" }]);
    const account = pool.accounts[0]!;
    const shimPid = sleeper();
    withDb(home(pool.vars), (db) =>
      writeTx(db, () =>
        insertSession(db, {
          accountId: account.id,
          kind: "run",
          pid: shimPid,
          cwd: "/w",
          startedAtMs: Date.now(),
        }),
      ),
    );
    startDaemon(pool.vars);
    await waitFor("a first poll", () => samples(home(pool.vars)).some((s) => s.status === "ok"));
    // The session refreshes its own token (as claude would) and stores it.
    const res = await fetch(fake.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "refresh_token",
        refresh_token: account.token.refreshToken,
        client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
      }),
    });
    const grant = (await res.json()) as { access_token: string; refresh_token: string };
    const path = join(account.configDir, ".credentials.json");
    const blob = JSON.parse(readFileSync(path, "utf8"));
    blob.claudeAiOauth.accessToken = grant.access_token;
    blob.claudeAiOauth.refreshToken = grant.refresh_token;
    writeFileSync(path, JSON.stringify(blob), { mode: 0o600 });
    process.kill(shimPid, "SIGKILL");
    await waitFor("a poll with the session's new token", () =>
      fake.requests.some((r) => r.path === USAGE_PATH && r.tokenId === `${account.token.chainId}.a2`),
    );
    expect(fake.chain(account.token.chainId).refreshCount).toBe(1);
  });
});

describe("one daemon per pool", () => {
  test("two daemons started at once leave one", async () => {
    const pool = await makePool(fake, [{ name: "x" }]);
    const a = startDaemon(pool.vars);
    const b = startDaemon(pool.vars);
    const loser = await waitFor("one of them to exit", () =>
      a.proc.exitCode !== null ? a : b.proc.exitCode !== null ? b : null,
    );
    const winner = loser === a ? b : a;
    expect(loser.proc.exitCode).toBe(0);
    await Bun.sleep(500);
    expect(isAlive(winner.pid)).toBe(true);
    withDb(home(pool.vars), (db) => expect(readDaemonOwner(db)?.pid).toBe(winner.pid));
    expect(daemonLog(home(pool.vars))).toContain("is already running");
  });

  test("an older daemon steps aside for a newer version's claim; a newer one is not displaced", async () => {
    const pool = await makePool(fake, [{ name: "v" }]);
    const d = startDaemon(pool.vars);
    await waitFor("the claim", () => withDb(home(pool.vars), (db) => readDaemonOwner(db)?.pid === d.pid));
    const newer = newOwner("999.0.0", Date.now(), sleeper());
    withDb(home(pool.vars), (db) => claimDaemon(db, newer, Date.now()));
    expect(await d.proc.exited).toBe(0);
    expect(daemonLog(home(pool.vars))).toContain("(version 999.0.0) took over; stepping aside");
    withDb(home(pool.vars), (db) => {
      expect(readDaemonOwner(db)?.version).toBe("999.0.0");
      writeTx(db, () => setMeta(db, DAEMON_HEARTBEAT_KEY, String(Date.now())));
    });
    // This version finds the newer one alive and leaves it alone.
    const again = startDaemon(pool.vars);
    expect(await again.proc.exited).toBe(0);
    expect(daemonLog(home(pool.vars))).toContain("of a newer version is running");
  });

  test("a newer daemon takes over from an older one", async () => {
    const pool = await makePool(fake, [{ name: "w" }]);
    const older = newOwner("0.0.1", Date.now(), sleeper());
    withDb(home(pool.vars), (db) => claimDaemon(db, older, Date.now()));
    const d = startDaemon(pool.vars);
    await waitFor("the takeover", () => withDb(home(pool.vars), (db) => readDaemonOwner(db)?.pid === d.pid));
    expect(daemonLog(home(pool.vars))).toContain("took over from pid");
    withDb(home(pool.vars), (db) => expect(readDaemonOwner(db)?.version).toBe(VERSION));
  });

  test("kill -9 in the middle of a sweep leaves a sound database and a daemon that restarts cleanly", async () => {
    const pool = await makePool(
      fake,
      Array.from({ length: 8 }, (_, i) => ({ name: `k${i}`, util5Pct: i })),
    );
    const first = startDaemon(pool.vars);
    await waitFor("a few samples", () => samples(home(pool.vars)).length >= 4);
    fake.fault("slow", { delayMs: 5_000 });
    await Bun.sleep(200);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    fake.clearFaults();
    const check = withDb(home(pool.vars), (db) =>
      db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all(),
    );
    expect(check).toEqual([{ integrity_check: "ok" }]);
    const before = samples(home(pool.vars)).length;
    const second = startDaemon(pool.vars);
    await waitFor("the restarted daemon's claim", () =>
      withDb(home(pool.vars), (db) => readDaemonOwner(db)?.pid === second.pid),
    );
    await waitFor("new samples", () => samples(home(pool.vars)).length >= before + 8);
    expect(daemonLog(home(pool.vars))).toContain(`took over from pid ${first.pid}`);
    expect(isAlive(second.pid)).toBe(true);
  });
});

describe("outage", () => {
  test("with every account unreachable it probes one at a time, then sweeps all on the first answer", async () => {
    const pool = await makePool(fake, [{ name: "o1" }, { name: "o2" }, { name: "o3" }]);
    // A usage endpoint that can be taken off the network and brought back on the same port.
    const serve = (port: number) =>
      Bun.serve({
        port,
        hostname: "127.0.0.1",
        fetch: (req) => fetch(fake.usageUrl, { headers: req.headers }),
      });
    let proxy = serve(0);
    const port = proxy.port as number;
    await proxy.stop(true);
    try {
      startDaemon({ ...pool.vars, CCP_USAGE_URL: `http://127.0.0.1:${port}${USAGE_PATH}` });
      await waitFor("outage mode", () => daemonLog(home(pool.vars)).includes("outage mode"));
      await waitFor(
        "two probes",
        () => (daemonLog(home(pool.vars)).match(/\(outage probe\)/g) ?? []).length >= 2,
      );
      // Probes go to one account at a time, round robin.
      const probed = [...daemonLog(home(pool.vars)).matchAll(/(acct-\d+) \(o\d\) \(outage probe\)/g)].map(
        (m) => m[1],
      );
      expect(probed.slice(0, 2)).toEqual(["acct-01", "acct-02"]);
      proxy = serve(port);
      await waitFor("a full sweep after the first answer", () => {
        const ok = samples(home(pool.vars)).filter((s) => s.status === "ok");
        return [1, 2, 3].every((id) => ok.some((s) => s.account_id === id));
      });
      expect(
        samples(home(pool.vars)).some((s) => s.status === "error" && /could not reach/i.test(s.error ?? "")),
      ).toBe(true);
    } finally {
      await proxy.stop(true);
    }
  });
});

describe("in-process", () => {
  test("an upgraded binary makes the daemon exit non-zero so its service starts the new one", async () => {
    const pool = await makePool(fake, [{ name: "up" }]);
    const env = loadEnv({ ...pool.vars, CCP_POLL_INTERVAL: "1s" });
    let identity = "cc-pool 1";
    const log = openDaemonLog(join(home(pool.vars), "daemon.log"));
    const running = runDaemon(env, {
      processes: null,
      binaryIdentity: () => identity,
      log,
      version: "0.0.0-test",
    });
    await waitFor("a poll", () => samples(home(pool.vars)).length > 0);
    identity = "cc-pool 2";
    expect(await running).toBe(EXIT_UPGRADED);
    expect(daemonLog(home(pool.vars))).toContain("was upgraded");
    withDb(home(pool.vars), (db) => expect(readDaemonOwner(db)).toBeUndefined());
  });

  test("without an upgrade it runs until stopped, and a stop is a clean exit", async () => {
    const pool = await makePool(fake, [{ name: "st" }]);
    const env = loadEnv({ ...pool.vars, CCP_POLL_INTERVAL: "1s" });
    const stop = new AbortController();
    const log = openDaemonLog(join(home(pool.vars), "daemon.log"));
    const running = runDaemon(env, {
      processes: null,
      binaryIdentity: () => "same",
      log,
      signal: stop.signal,
    });
    await waitFor("two sweeps", () => samples(home(pool.vars)).length >= 2);
    stop.abort();
    expect(await running).toBe(0);
  });
});
