// `ccp service …`, `ccp init` and the background start from `select`, run as real processes on this
// machine. In a container there is no systemd user bus: install explains and exits 1, init falls
// back to a detached daemon. On a machine with a user bus the install test is skipped, so the
// suite never registers a unit with the real user manager.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { AUTOSTART_KEY, DAEMON_DISABLED_KEY } from "../../src/daemon/spawn.ts";
import { writeTx } from "../../src/store/db.ts";
import { getMeta } from "../../src/store/meta.ts";
import { insertSession } from "../../src/store/sessions.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool, poolVars } from "../helpers/pool.ts";
import { expectSacredUnchanged, makeBase, snapshotSacred } from "../helpers/sacred.ts";
import { isAlive, reapAll, startDaemon, trackHome, trackPid, waitFor, withDb } from "../helpers/daemon.ts";

// Real processes on a 1 s schedule: a test may take a few seconds.
setDefaultTimeout(30_000);

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(reapAll);
afterAll(async () => {
  await fake.stop();
});

const home = (vars: Record<string, string | undefined>): string => vars.CCP_HOME as string;
/** Autostart on (the suite may turn it off for everyone else), a fast schedule. */
const autostart = (vars: Record<string, string>): Record<string, string | undefined> => ({
  ...vars,
  CCP_DAEMON_AUTOSTART: "1",
  CCP_POLL_INTERVAL: "1s",
});

function pidFile(ccpHome: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(join(ccpHome, "daemon.pid"), "utf8"), 10);
  } catch {
    return undefined;
  }
}

function clearHeartbeat(ccpHome: string): void {
  withDb(ccpHome, (db) =>
    writeTx(db, () => db.run("DELETE FROM meta WHERE key IN ('daemon_heartbeat_ms', 'daemon_owner')")),
  );
}

const userBus =
  process.platform === "linux" &&
  Bun.which("systemctl") !== null &&
  Bun.spawnSync(["systemctl", "--user", "show-environment"], { stdout: "ignore", stderr: "ignore" })
    .exitCode === 0;
/**
 * Install, uninstall and init talk to the real launchctl / systemctl. Only where neither can act
 * (Linux without a user bus, e.g. this container) do these tests run the real commands; the logic
 * for every manager is covered against a stand-in host in service-files.test.ts.
 */
const noServiceManager = process.platform === "linux" && !userBus;

describe("background start from select", () => {
  test("a stale heartbeat makes select start the daemon detached, without waiting for it", async () => {
    const pool = await makePool(fake, [{ name: "a" }]);
    trackHome(home(pool.vars));
    const r = await runCli(["select"], { env: autostart(pool.vars) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pool.accounts[0]?.configDir}\n`);
    const pid = await waitFor("the daemon's pid file", () => pidFile(home(pool.vars)));
    await waitFor("its heartbeat", () => withDb(home(pool.vars), (db) => getMeta(db, "daemon_heartbeat_ms")));
    if (process.platform === "linux") {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Its own session and process group, no controlling terminal.
      expect(Number(fields[3])).toBe(pid);
      expect(Number(fields[2])).toBe(pid);
      expect(Number(fields[4])).toBe(0);
      for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe("/dev/null");
    }
    // A second select finds it alive and starts nothing.
    await runCli(["select"], { env: autostart(pool.vars) });
    const starts = withDb(home(pool.vars), (db) => JSON.parse(getMeta(db, AUTOSTART_KEY) ?? "[]"));
    expect(starts).toHaveLength(1);
    expect(pidFile(home(pool.vars))).toBe(pid);
  });

  test("CCP_DAEMON_AUTOSTART=0 and --no-daemon start nothing", async () => {
    const pool = await makePool(fake, [{ name: "a" }]);
    trackHome(home(pool.vars));
    expect(
      (await runCli(["select"], { env: { ...autostart(pool.vars), CCP_DAEMON_AUTOSTART: "0" } })).code,
    ).toBe(0);
    expect((await runCli(["select", "--no-daemon"], { env: autostart(pool.vars) })).code).toBe(0);
    await Bun.sleep(500);
    expect(pidFile(home(pool.vars))).toBeUndefined();
    expect(withDb(home(pool.vars), (db) => getMeta(db, AUTOSTART_KEY))).toBeUndefined();
  });

  test("a daemon that keeps dying is started at most three times in ten minutes", async () => {
    const pool = await makePool(fake, [{ name: "a" }]);
    trackHome(home(pool.vars));
    for (let i = 0; i < 3; i++) {
      expect((await runCli(["select"], { env: autostart(pool.vars) })).code).toBe(0);
      const pid = await waitFor("a daemon", () => {
        const p = pidFile(home(pool.vars));
        return p !== undefined && isAlive(p) && p;
      });
      process.kill(pid, "SIGKILL");
      await waitFor("it to die", () => !isAlive(pid));
      // What its death looks like once the heartbeat has gone stale.
      clearHeartbeat(home(pool.vars));
    }
    const lastPid = pidFile(home(pool.vars));
    expect((await runCli(["select"], { env: autostart(pool.vars) })).code).toBe(0);
    await Bun.sleep(700);
    expect(pidFile(home(pool.vars))).toBe(lastPid);
    expect(withDb(home(pool.vars), (db) => JSON.parse(getMeta(db, AUTOSTART_KEY) ?? "[]"))).toHaveLength(3);
  });
});

describe("ccp service", () => {
  test.skipIf(!noServiceManager)(
    "install without a service manager prints the manual command and exits 1",
    async () => {
      const pool = await makePool(fake, []);
      const r = await runCli(["service", "install"], { env: pool.vars });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("No service manager here");
      expect(r.stderr).toContain("nohup ccp daemon >/dev/null 2>&1 &");
    },
  );

  test("status reports the running daemon, its pid, last poll and last error", async () => {
    const pool = await makePool(fake, [{ name: "a" }, { name: "gone" }]);
    fake.revoke(pool.accounts[1]!.token.chainId);
    const d = startDaemon(pool.vars);
    await waitFor("a poll and an error", () =>
      withDb(home(pool.vars), (db) => getMeta(db, "daemon_last_poll_ms") && getMeta(db, "daemon_last_error")),
    );
    const json = await runCli(["service", "status", "--json"], { env: pool.vars });
    expect(json.code).toBe(0);
    const st = JSON.parse(json.stdout);
    expect(st).toMatchObject({ running: true, pid: d.pid, installed: false });
    expect(typeof st.lastPollAtMs).toBe("number");
    expect(st.lastError).toContain("acct-02 (gone)");
    expect(json.stdout).not.toContain("sk-ant-");
    const text = await runCli(["service", "status"], { env: pool.vars });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`running (pid ${d.pid}`);
    expect(text.stdout).toMatch(/Last poll: +\d+s ago/);
  });

  test("status without a pool or a daemon says so", async () => {
    const vars = poolVars(join(tempDir("empty-"), "home"), undefined);
    const r = await runCli(["service", "status", "--json"], { env: vars });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ running: false, pid: null, lastPollAtMs: null });
    expect(existsSync(home(vars))).toBe(false);
  });

  test.skipIf(!noServiceManager)(
    "uninstall refuses while a session runs; --force stops the daemon and keeps it from coming back",
    async () => {
      const pool = await makePool(fake, [{ name: "a" }]);
      const sleeper = Bun.spawn(["sleep", "60"], { stdio: ["ignore", "ignore", "ignore"] });
      trackPid(sleeper.pid);
      withDb(home(pool.vars), (db) =>
        writeTx(db, () =>
          insertSession(db, {
            accountId: 1,
            kind: "run",
            pid: sleeper.pid,
            cwd: "/w",
            startedAtMs: Date.now(),
          }),
        ),
      );
      const d = startDaemon(pool.vars);
      await waitFor("the daemon", () => pidFile(home(pool.vars)) === d.pid);
      const refused = await runCli(["service", "uninstall"], { env: pool.vars });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("session(s) are running");
      expect(refused.stderr).toContain("--force");
      expect(isAlive(d.pid)).toBe(true);

      const forced = await runCli(["service", "uninstall", "--force"], { env: pool.vars });
      expect(forced.code).toBe(0);
      expect(forced.stderr).toContain(`Stopped the daemon (pid ${d.pid})`);
      expect(await d.proc.exited).toBe(0);
      expect(withDb(home(pool.vars), (db) => getMeta(db, DAEMON_DISABLED_KEY))).toBe("1");
      // select no longer starts it…
      trackHome(home(pool.vars));
      expect((await runCli(["select", "--account", "a"], { env: autostart(pool.vars) })).code).toBe(0);
      await Bun.sleep(500);
      expect(pidFile(home(pool.vars))).toBeUndefined();
      // …until the service is asked for again.
      await runCli(["service", "install"], { env: pool.vars });
      expect(withDb(home(pool.vars), (db) => getMeta(db, DAEMON_DISABLED_KEY))).toBeUndefined();
    },
  );

  test.skipIf(!noServiceManager)(
    "uninstall --purge removes every account and CCP_HOME, and never touches ~/.claude",
    async () => {
      const pool = await makePool(fake, [{ name: "a" }, { name: "b" }]);
      const sacred = snapshotSacred(pool.home);
      const d = startDaemon(pool.vars);
      await waitFor("the daemon", () => pidFile(home(pool.vars)) === d.pid);
      const r = await runCli(["service", "uninstall", "--purge"], { env: pool.vars });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("~/.claude was not touched");
      expect(await d.proc.exited).toBe(0);
      for (const a of pool.accounts) expect(existsSync(a.configDir)).toBe(false);
      expect(existsSync(home(pool.vars))).toBe(false);
      expectSacredUnchanged(pool.home, sacred);
    },
  );

  test.skipIf(!noServiceManager)(
    "uninstall --purge refuses a CCP_HOME that holds the home folder",
    async () => {
      const h = join(tempDir("purge-"), "home");
      makeBase(h);
      const vars = poolVars(h, undefined, { CCP_HOME: h });
      const r = await runCli(["service", "uninstall", "--purge", "--force"], { env: vars });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Refusing to purge");
      expect(existsSync(join(h, ".claude"))).toBe(true);
    },
  );

  test("bad actions and misplaced flags are usage errors", async () => {
    expect((await runCli(["service", "restart"])).code).toBe(2);
    expect((await runCli(["service", "status", "--purge"])).code).toBe(2);
    expect((await runCli(["service"])).code).toBe(2);
  });
});

describe("ccp init", () => {
  test.skipIf(!noServiceManager)(
    "without a service manager it starts the daemon in the background and says so",
    async () => {
      const h = join(tempDir("init-"), "home");
      makeBase(h);
      const vars = autostart(poolVars(h, fake));
      trackHome(home(vars));
      const r = await runCli(["init"], { env: vars });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("Daemon started in the background (pid ");
      // One short line, not a paragraph about systemd.
      const line = r.stderr.split("\n").find((l) => l.includes("Daemon started")) as string;
      expect(line.length).toBeLessThan(100);
      expect(r.stderr).not.toContain("systemd user session");
      const pid = await waitFor("the daemon", () => pidFile(home(vars)));
      expect(isAlive(pid)).toBe(true);
    },
  );

  test("--no-service and CCP_DAEMON_AUTOSTART=0 leave the daemon alone", async () => {
    const h = join(tempDir("init-"), "home");
    makeBase(h);
    const vars = autostart(poolVars(h, fake));
    trackHome(home(vars));
    const skipped = await runCli(["init", "--no-service"], { env: vars });
    expect(skipped.stderr).toContain("--no-service");
    const off = await runCli(["init"], { env: { ...vars, CCP_DAEMON_AUTOSTART: "0" } });
    expect(off.stderr).toContain("CCP_DAEMON_AUTOSTART=0");
    await Bun.sleep(500);
    expect(pidFile(home(vars))).toBeUndefined();
  });
});
