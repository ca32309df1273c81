// Accounts that need a new login: doctor shows them (re-checking live), `ccp login` logs one in
// again in place, and a login repaired by hand unblocks `ccp run` at once.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { updateHealth } from "../../src/store/health.ts";
import { DAEMON_HEARTBEAT_KEY, setMeta } from "../../src/store/meta.ts";
import { insertSample } from "../../src/store/usage.ts";
import { createFileStore } from "../../src/secrets/file-store.ts";
import { tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, USAGE_PATH, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { usagePayload } from "../helpers/pool.ts";
import { type World, addAccountDirect, ccp, makeWorld, reapStrayStandIns } from "./fixture.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});
afterEach(() => {
  expect(reapStrayStandIns()).toEqual([]);
});

function world(): World {
  return makeWorld({ vars: { CCP_USAGE_URL: fake.usageUrl, CCP_TOKEN_URL: fake.tokenUrl } });
}

/** What the daemon records after repeated 401s. */
function markNeedsLogin(w: World, id: number): void {
  const db = openDb(w.dbPath);
  try {
    insertSample(db, {
      accountId: id,
      takenAtMs: Date.now(),
      status: "unauthorized",
      util5Pct: null,
      reset5AtMs: null,
      util7Pct: null,
      reset7AtMs: null,
      scoped7Pct: null,
      scoped7ResetAtMs: null,
      scoped7Model: null,
      extraUsageEnabled: null,
      error: "HTTP 401 from the usage endpoint",
    });
    updateHealth(db, id, Date.now(), { needsLogin: true, consecutiveAuthFailures: 3, lastError: "HTTP 401" });
  } finally {
    db.close();
  }
}

/** A daemon that keeps data fresh (so nothing else would re-check the account for 15 min). */
function daemonAlive(w: World): void {
  const db = openDb(w.dbPath);
  try {
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(Date.now() + 60_000));
  } finally {
    db.close();
  }
}

describe("accounts that need a new login", () => {
  test("doctor names them; `ccp login` logs one in again in place with --email, and run works again", async () => {
    const w = world();
    const account = await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    markNeedsLogin(w, account.id);
    // Its stored token is unknown to the server: the chain is really dead.
    const refused = await ccp(w, ["run", "-p", "x"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ccp doctor");

    const doctor = await ccp(w, ["doctor", "--json"]);
    expect(doctor.code).toBe(1);
    const login = JSON.parse(doctor.stdout).findings.find((f: { check: string }) => f.check === "login");
    expect(login).toMatchObject({ status: "problem", account: { id: 1, name: "work" } });
    expect(login.fix).toContain("ccp login 1");
    const human = await ccp(w, ["doctor"]);
    expect(human.stdout).toContain("account 1 (work) · login: Needs a new login");

    const token = fake.issueToken({ label: "relogin" });
    fake.setUsage(token.accessToken, usagePayload(20, 30));
    const record = join(tempDir(), "login.jsonl");
    const r = await ccp(w, ["login", "work"], {
      env: { FAKE_ACCESS_TOKEN: token.accessToken, FAKE_LOGIN_RECORD: record },
    });
    expect(r.code).toBe(0);
    // Nothing of claude's login chatter on stdout.
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Logged work in again as alice@gmail.com · 5h 20% used · 7d 30% used");
    expect(r.stderr).not.toContain("different subscription");
    expect(JSON.parse(readFileSync(record, "utf8").trim()).argv).toEqual([
      "auth",
      "login",
      "--email",
      "alice@gmail.com",
    ]);
    const stored = await createFileStore().read(account.configDir);
    expect(stored?.claudeAiOauth?.accessToken).toBe(token.accessToken);

    const run = await ccp(w, ["run", "-p", "x"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("Selected work");
  });

  test("a login that still works is only un-flagged; no login process runs", async () => {
    const w = world();
    const token = fake.issueToken({ label: "alive" });
    fake.setUsage(token.accessToken, usagePayload(10, 10));
    const account = await addAccountDirect(w, { email: "bob@gmail.com", label: "bob" });
    await createFileStore().write(account.configDir, {
      claudeAiOauth: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: token.expiresAt,
        scopes: ["user:inference"],
      },
    });
    markNeedsLogin(w, account.id);
    const record = join(tempDir(), "login.jsonl");
    const r = await ccp(w, ["login", "1"], { env: { FAKE_LOGIN_RECORD: record } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("bob's login still works; it is back in the pool");
    expect(existsSync(record)).toBe(false);
    const doctor = JSON.parse((await ccp(w, ["doctor", "--json"])).stdout);
    expect(doctor.findings.filter((f: { check: string }) => f.check === "login")).toEqual([]);
  });

  test("a login repaired by hand is noticed by doctor and by run at once", async () => {
    const w = world();
    const account = await addAccountDirect(w, { email: "carol@gmail.com", label: "carol" });
    markNeedsLogin(w, account.id);
    // Logged in again by hand (`CLAUDE_CONFIG_DIR=… claude /login`): a working chain is stored.
    const token = fake.issueToken({ label: "by-hand" });
    fake.setUsage(token.accessToken, usagePayload(5, 5));
    await createFileStore().write(account.configDir, {
      claudeAiOauth: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: token.expiresAt,
      },
    });
    daemonAlive(w);
    const run = await ccp(w, ["run", "-p", "x"]);
    expect(run.stderr).toContain("Selected carol");
    expect(run.code).toBe(0);

    markNeedsLogin(w, account.id);
    const doctor = JSON.parse((await ccp(w, ["doctor", "--json"])).stdout);
    const login = doctor.findings.find((f: { check: string }) => f.check === "login");
    expect(login).toMatchObject({ status: "ok", account: { id: 1 } });
    expect(fake.requests.some((q) => q.path === USAGE_PATH && q.chainId === token.chainId)).toBe(true);
  });

  test("SIGTERM while the login runs: the login claude is stopped, exit 143, the old login untouched", async () => {
    const { CLI_ENTRY, baseEnv } = await import("../helpers/cli.ts");
    const w = world();
    const account = await addAccountDirect(w, { email: "gail@gmail.com", label: "gail" });
    markNeedsLogin(w, account.id);
    const before = await createFileStore().read(account.configDir);
    const record = join(tempDir(), "login.jsonl");
    const proc = Bun.spawn([process.execPath, CLI_ENTRY, "login", "gail"], {
      env: baseEnv({ ...w.vars, FAKE_LOGIN_MODE: "hang", FAKE_LOGIN_RECORD: record }),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const deadline = Date.now() + 15_000;
      while (!existsSync(record) && Date.now() < deadline) await Bun.sleep(50);
      expect(existsSync(record)).toBe(true);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(143);
      expect(await new Response(proc.stderr).text()).toContain("ccp login was ended by SIGTERM");
      expect(await createFileStore().read(account.configDir)).toEqual(before);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  });

  test("refuses plain ~/.claude and unknown accounts", async () => {
    const w = world();
    await addAccountDirect(w, { email: "dave@gmail.com", label: "dave" });
    for (const ref of ["~/.claude", join(w.home, ".claude"), `${join(w.home, ".claude")}/`]) {
      const r = await ccp(w, ["login", ref]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("plain claude's own login");
    }
    const unknown = await ccp(w, ["login", "nosuch"]);
    expect(unknown.code).toBe(2);
    expect((await ccp(w, ["login"])).code).toBe(2);
  });
});

describe("the status dashboard's l key", () => {
  test("logs the selected account in again and comes back to the dashboard", async () => {
    const { startTmux, killAllTmux } = await import("../helpers/tmux.ts");
    const { CLI_ENTRY } = await import("../helpers/cli.ts");
    const w = world();
    const account = await addAccountDirect(w, { email: "erin@gmail.com", label: "erin" });
    await addAccountDirect(w, { email: "fine@gmail.com", label: "fine" });
    markNeedsLogin(w, account.id);
    daemonAlive(w);
    const token = fake.issueToken({ label: "dashboard" });
    fake.setUsage(token.accessToken, usagePayload(15, 25));
    const t = startTmux({
      cmd: [process.execPath, CLI_ENTRY, "status"],
      env: { ...w.vars, TERM: "xterm-256color", FAKE_ACCESS_TOKEN: token.accessToken },
      width: 140,
      height: 40,
    });
    try {
      await t.waitFor(/erin .*needs login/);
      // Select erin (the second row: the next pick is on top).
      t.keys("Down");
      await t.waitFor("l log in again");
      t.type("l");
      await t.waitFor("Logged erin in again as erin@gmail.com");
      const screen = await t.waitFor(/erin .*15%/);
      expect(screen).not.toMatch(/erin .*needs login/);
      t.type("q");
      expect(await t.waitForExit()).toBe(0);
      const stored = await createFileStore().read(account.configDir);
      expect(stored?.claudeAiOauth?.accessToken).toBe(token.accessToken);
    } finally {
      killAllTmux();
    }
  });
});
