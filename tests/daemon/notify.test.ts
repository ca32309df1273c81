// Daemon notifications: transitions only, one per kind per hour, off with CCP_NOTIFY=0, shown
// through a stand-in notify-send (Linux) or osascript (macOS) found on PATH.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Notice, type PoolFacts, showNotice, transitions } from "../../src/daemon/notify.ts";
import { keychainServiceName } from "../../src/secrets/keychain-naming.ts";
import { baseEnv, tempDir } from "../helpers/cli.ts";
import { daemonLog, reapAll, startDaemon, waitFor } from "../helpers/daemon.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool, usagePayload } from "../helpers/pool.ts";
import { type FakeKeychain, openFakeKeychain } from "../native/fake-keychain.ts";

setDefaultTimeout(60_000);

let fake: FakeAnthropic;
let keychain: FakeKeychain;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  keychain = openFakeKeychain();
});
afterEach(async () => {
  await reapAll();
});
afterAll(async () => {
  await fake.stop();
  keychain.dispose();
});

/** A dir with a stand-in notifier that appends its argv (one JSON line per call) to `record`. */
function standInNotifier(name: string, record: string): string {
  const dir = tempDir("notifier-");
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!${process.execPath}\nrequire("node:fs").appendFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)) + "\\n");\n`,
  );
  chmodSync(path, 0o755);
  return dir;
}

function calls(record: string): string[][] {
  if (!existsSync(record)) return [];
  return readFileSync(record, "utf8")
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

function facts(over: Partial<PoolFacts> = {}): PoolFacts {
  return {
    accounts: 2,
    exhausted: false,
    soonestReset: null,
    best: { name: "work", util5Pct: 12 },
    needsLogin: new Map(),
    keychainLocked: false,
    ...over,
  };
}

describe("transitions", () => {
  test("only changes are news; the first look is a baseline", () => {
    const spent = facts({
      exhausted: true,
      best: null,
      soonestReset: { name: "work", atMs: Date.now() + 3_600_000 },
    });
    expect(transitions(null, spent)).toEqual([]);
    expect(transitions(null, facts({ keychainLocked: true })).map((n) => n.kind)).toEqual([
      "keychain-locked",
    ]);
    expect(transitions(spent, spent)).toEqual([]);
    const [exhausted] = transitions(facts(), spent);
    expect(exhausted?.kind).toBe("pool-exhausted");
    expect(exhausted?.body).toMatch(
      /^All 2 accounts are exhausted\. The first back is work at \d{1,2}:\d{2} [AP]M\.$/,
    );
    expect(transitions(spent, facts()).map((n) => [n.kind, n.body])).toEqual([
      ["account-back", "work has headroom again (5h 12% used)."],
    ]);
    const login = transitions(facts(), facts({ needsLogin: new Map([[2, "personal"]]) }));
    expect(login.map((n) => n.kind)).toEqual(["needs-login"]);
    expect(login[0]?.body).toContain("personal needs a new login");
    expect(
      transitions(facts({ needsLogin: new Map([[2, "p"]]) }), facts({ needsLogin: new Map([[2, "p"]]) })),
    ).toEqual([]);
    expect(transitions(facts(), facts({ keychainLocked: true })).map((n) => n.kind)).toEqual([
      "keychain-locked",
    ]);
    expect(transitions(facts({ keychainLocked: true }), facts({ keychainLocked: true }))).toEqual([]);
  });

  test("macOS: osascript shows it, with the text quoted for AppleScript", async () => {
    const record = join(tempDir(), "osascript.jsonl");
    const dir = standInNotifier("osascript", record);
    const notice: Notice = { kind: "account-back", title: 'cc-pool "x"', body: 'say \\ "hi"' };
    expect(await showNotice(notice, "darwin", dir, baseEnv())).toBe(true);
    expect(calls(record)).toEqual([
      ["-e", 'display notification "say \\\\ \\"hi\\"" with title "cc-pool \\"x\\""'],
    ]);
    // Linux without notify-send: nothing to show, and no error.
    expect(await showNotice(notice, "linux", dir, baseEnv())).toBe(false);
  });
});

describe("the daemon notifies", () => {
  const spent = (): unknown => usagePayload(100, 40, 2 * 3_600_000);
  const roomy = (): unknown => usagePayload(10, 40, 2 * 3_600_000);

  async function twoSpent(): Promise<TestPool> {
    const pool = await makePool(fake, [{ name: "work" }, { name: "personal" }]);
    for (const a of pool.accounts) fake.setUsage(a.token.accessToken, spent());
    return pool;
  }

  test("on transitions only, at most once per kind per hour", async () => {
    const pool = await twoSpent();
    const [work] = pool.accounts as [TestPool["accounts"][0]];
    const record = join(tempDir(), "notify-send.jsonl");
    const dir = standInNotifier("notify-send", record);
    const ccpHome = pool.vars.CCP_HOME as string;
    // 2 s interval: a 40 s "hour", room for the four transitions below on a loaded machine.
    startDaemon(pool.vars, { PATH: `${dir}:${process.env.PATH}`, CCP_POLL_INTERVAL: "2s" });
    // Baseline: both spent from the start is no transition.
    await waitFor("a full sweep", () => (daemonLog(ccpHome).match(/: ok: 5h 100%/g) ?? []).length >= 4);
    expect(calls(record)).toEqual([]);

    fake.setUsage(work.token.accessToken, roomy());
    await waitFor("the account-back notice", () => calls(record).length >= 1);
    expect(calls(record)[0]).toEqual([
      "--app-name=cc-pool",
      "cc-pool: an account is back",
      "work has headroom again (5h 10% used).",
    ]);

    fake.setUsage(work.token.accessToken, spent());
    await waitFor("the pool-exhausted notice", () => calls(record).length >= 2);
    expect(calls(record)[1]?.[1]).toBe("cc-pool: every account is at its limit");
    expect(calls(record)[1]?.[2]).toMatch(
      /^All 2 accounts are exhausted\. The first back is (work|personal) at /,
    );

    // Back again within the hour: logged, not shown again.
    fake.setUsage(work.token.accessToken, roomy());
    await waitFor(
      "the suppressed notice",
      () => daemonLog(ccpHome).includes("not notifying again within the hour") || calls(record).length > 2,
      30_000,
    );
    expect(calls(record).length).toBe(2);
  });

  test("an account whose login is revoked is announced once", async () => {
    const pool = await makePool(fake, [
      { name: "work", util5Pct: 10 },
      { name: "personal", util5Pct: 20 },
    ]);
    const [, personal] = pool.accounts as [TestPool["accounts"][0], TestPool["accounts"][0]];
    const record = join(tempDir(), "notify-send.jsonl");
    const dir = standInNotifier("notify-send", record);
    startDaemon(pool.vars, { PATH: `${dir}:${process.env.PATH}` });
    const ccpHome = pool.vars.CCP_HOME as string;
    await waitFor("a full sweep", () => (daemonLog(ccpHome).match(/: ok: 5h/g) ?? []).length >= 2);
    fake.revoke(personal.token.accessToken);
    await waitFor("the needs-login notice", () => calls(record).length >= 1, 30_000);
    expect(calls(record)[0]?.slice(1)).toEqual([
      "cc-pool: an account needs a new login",
      "personal needs a new login. Run `ccp doctor` to see how.",
    ]);
    await Bun.sleep(2500);
    expect(calls(record).length).toBe(1);
  });

  test("a locked keychain that blocks polling is announced, once per hour", async () => {
    keychain.reset();
    const pool = await makePool(fake, [
      { name: "a", util5Pct: 10 },
      { name: "b", util5Pct: 50 },
    ]);
    for (const account of pool.accounts) {
      const file = join(account.configDir, ".credentials.json");
      keychain.putItem(keychainServiceName(account.configDir), "pooluser", readFileSync(file));
      rmSync(file);
    }
    keychain.setLocked(true);
    keychain.setGuiSession(true);
    const record = join(tempDir(), "notify-send.jsonl");
    const dir = standInNotifier("notify-send", record);
    const ccpHome = pool.vars.CCP_HOME as string;
    startDaemon(pool.vars, {
      PATH: `${dir}:${process.env.PATH}`,
      USER: "pooluser",
      CCP_SECRET_STORE: "keychain",
      CCP_SECURITY_LIB: keychain.libPath,
      CCP_COREFOUNDATION_LIB: keychain.libPath,
      CCP_SECURITY_BIN: keychain.toolPath,
      FAKE_KEYCHAIN_DIR: keychain.dir,
      // A longer "hour" (60 s) than the other tests: the lock, unlock and relock must fit in it.
      CCP_POLL_INTERVAL: "3s",
    });
    await waitFor("the keychain notice", () => calls(record).length >= 1, 30_000);
    expect(calls(record)[0]?.slice(1)).toEqual([
      "cc-pool: the keychain is locked",
      "Usage polling is paused until the login keychain is unlocked.",
    ]);
    keychain.setLocked(false);
    await waitFor("polling again", () => /\(a\): ok: 5h 10%/.test(daemonLog(ccpHome)), 30_000);
    keychain.setLocked(true);
    await waitFor(
      "the repeat held back",
      () => daemonLog(ccpHome).includes("not notifying again within the hour") || calls(record).length > 1,
      30_000,
    );
    expect(calls(record).length).toBe(1);
  });

  test("CCP_NOTIFY=0 turns them off", async () => {
    const pool = await twoSpent();
    const [work] = pool.accounts as [TestPool["accounts"][0]];
    const record = join(tempDir(), "notify-send.jsonl");
    const dir = standInNotifier("notify-send", record);
    const ccpHome = pool.vars.CCP_HOME as string;
    startDaemon(pool.vars, { PATH: `${dir}:${process.env.PATH}`, CCP_NOTIFY: "0" });
    await waitFor("a full sweep", () => (daemonLog(ccpHome).match(/: ok: 5h 100%/g) ?? []).length >= 4);
    fake.setUsage(work.token.accessToken, roomy());
    await waitFor(
      "two polls with headroom",
      () => (daemonLog(ccpHome).match(/work\): ok: 5h 10%/g) ?? []).length >= 2,
    );
    expect(calls(record)).toEqual([]);
    expect(daemonLog(ccpHome)).not.toContain("notified");
  });
});
