// A locked keychain, end to end: ccp with its Keychain store on the native stand-ins (library and
// `security` tool), in a "GUI session" where the tool would wait on an unlock dialog nobody
// answers. Every command must finish, say "locked", and never take the login for missing.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { keychainServiceName } from "../../src/secrets/keychain-naming.ts";
import { runCli } from "../helpers/cli.ts";
import { reapAll, samples, startDaemon, waitFor, withDb } from "../helpers/daemon.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";
import { type FakeKeychain, openFakeKeychain } from "../native/fake-keychain.ts";

// Real processes; generous bounds, no timing assertions.
setDefaultTimeout(60_000);

const USER = "pooluser";
let api: FakeAnthropic;
let keychain: FakeKeychain;

beforeAll(async () => {
  api = await startFakeAnthropic();
  keychain = openFakeKeychain();
});
afterEach(reapAll);
afterAll(async () => {
  await api.stop();
  keychain.dispose();
});

/** A pool whose logins live in the stand-in keychain (moved out of the files makePool writes). */
async function keychainPool(): Promise<{ pool: TestPool; vars: Record<string, string> }> {
  keychain.reset();
  const pool = await makePool(api, [
    { name: "a", util5Pct: 10, util7Pct: 10 },
    { name: "b", util5Pct: 50, util7Pct: 50 },
  ]);
  for (const account of pool.accounts) {
    const file = join(account.configDir, ".credentials.json");
    keychain.putItem(keychainServiceName(account.configDir), USER, readFileSync(file));
    rmSync(file);
  }
  const vars = {
    ...pool.vars,
    USER,
    CCP_SECRET_STORE: "keychain",
    CCP_SECURITY_LIB: keychain.libPath,
    CCP_COREFOUNDATION_LIB: keychain.libPath,
    CCP_SECURITY_BIN: keychain.toolPath,
    FAKE_KEYCHAIN_DIR: keychain.dir,
    CCP_DAEMON_AUTOSTART: "0",
  };
  return { pool, vars };
}

function lockInGuiSession(): void {
  keychain.setLocked(true);
  keychain.setGuiSession(true);
}

const needsLogin = (ccpHome: string): number[] =>
  withDb(ccpHome, (db) =>
    db
      .query<{ account_id: number }, []>("SELECT account_id FROM auth_health WHERE needs_login = 1")
      .all()
      .map((row) => row.account_id),
  );

describe("a locked keychain", () => {
  test("unlocked, status --live reads both logins through the stand-ins", async () => {
    const { vars } = await keychainPool();
    const r = await runCli(["status", "--live", "--json"], { env: vars });
    expect(r.stderr).not.toContain("locked");
    expect(r.code).toBe(0);
    expect(keychain.toolRuns().length).toBeGreaterThan(0);
  });

  test("status --live finishes, reports each account as locked and never as logged out", async () => {
    const { pool, vars } = await keychainPool();
    lockInGuiSession();
    const r = await runCli(["status", "--live"], { env: vars, timeoutMs: 45_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out).toContain("locked");
    expect(out).not.toMatch(/no stored login|log(ged)? ?in again/i);
    expect(keychain.toolRuns()).toEqual([]);
    expect(needsLogin(pool.vars.CCP_HOME as string)).toEqual([]);
  });

  test("select finishes and still picks an account", async () => {
    const { pool, vars } = await keychainPool();
    lockInGuiSession();
    const r = await runCli(["select"], { env: vars, timeoutMs: 45_000 });
    expect(r.code).toBe(0);
    expect(pool.accounts.map((a) => `${a.configDir}\n`)).toContain(r.stdout);
    expect(keychain.toolRuns()).toEqual([]);
  });

  test("doctor says locked, not 'no stored login'", async () => {
    const { vars } = await keychainPool();
    lockInGuiSession();
    const r = await runCli(["doctor", "--json"], { env: vars, timeoutMs: 45_000 });
    const report = JSON.parse(r.stdout) as { findings: { check: string; message: string }[] };
    const credential = report.findings.filter((f) => f.check === "credential");
    expect(credential).toHaveLength(2);
    for (const f of credential) {
      expect(f.message).toContain("locked");
      expect(f.message).not.toContain("No stored login");
    }
    expect(keychain.toolRuns()).toEqual([]);
  });

  test("the daemon keeps polling, records 'locked' and does not mark the accounts as logged out", async () => {
    const { pool, vars } = await keychainPool();
    lockInGuiSession();
    const ccpHome = pool.vars.CCP_HOME as string;
    startDaemon(vars);
    const rows = await waitFor("two rounds of samples", () => {
      const all = samples(ccpHome);
      return all.length >= 4 ? all : undefined;
    });
    for (const row of rows) {
      expect(row.status).toBe("error");
      expect(row.error).toContain("locked");
    }
    expect(needsLogin(ccpHome)).toEqual([]);
    expect(keychain.toolRuns()).toEqual([]);
    // Unlocked again, the next round reads the logins.
    keychain.setLocked(false);
    await waitFor("an ok sample after unlocking", () =>
      samples(ccpHome).some((row) => row.status === "ok") ? true : undefined,
    );
  });
});
