// A newly added account must not be picked blind: `ccp add` samples it as soon as its login lands,
// and select/run sample any never-sampled account live before ranking it, even with a daemon up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { DAEMON_HEARTBEAT_KEY, setMeta } from "../../src/store/meta.ts";
import { insertSample } from "../../src/store/usage.ts";
import { runCli } from "../helpers/cli.ts";
import { type FakeAnthropic, USAGE_PATH, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool, usagePayload } from "../helpers/pool.ts";
import { ccp, makeWorld, reapStrayStandIns } from "../accounts/fixture.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
  reapStrayStandIns();
});

/** Makes the pool believe a daemon is alive, so nothing samples stale data on its own. */
function fakeHeartbeat(dbPath: string): void {
  const db = openDb(dbPath);
  try {
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(Date.now() + 60_000));
  } finally {
    db.close();
  }
}

describe("never-sampled accounts", () => {
  test("with a daemon alive, select samples a never-sampled account before ranking it", async () => {
    const pool = await makePool(fake, [
      { name: "known", util5Pct: 50, util7Pct: 50, reset5InMs: null },
      { name: "fresh", util5Pct: 100, util7Pct: 100 },
    ]);
    const dbPath = join(pool.vars.CCP_HOME as string, "pool.db");
    const db = openDb(dbPath);
    try {
      insertSample(db, {
        accountId: 1,
        takenAtMs: Date.now(),
        status: "ok",
        util5Pct: 50,
        reset5AtMs: null,
        util7Pct: 50,
        reset7AtMs: null,
        scoped7Pct: null,
        scoped7ResetAtMs: null,
        scoped7Model: null,
        extraUsageEnabled: null,
        error: null,
      });
    } finally {
      db.close();
    }
    fakeHeartbeat(dbPath);
    fake.clearRequests();
    const r = await runCli(["select"], { env: pool.vars });
    expect(r.code).toBe(0);
    // `fresh` is really at 100%/100%: it must not win on a blind 0%.
    expect(r.stdout).toBe(`${pool.accounts[0]?.configDir}\n`);
    // Only the never-sampled account was asked; the daemon owns the known one.
    const asked = fake.requests.filter((q) => q.path === USAGE_PATH).map((q) => q.chainId);
    expect(asked).toEqual([pool.accounts[1]?.token.chainId as string]);
  });

  test("`ccp add` samples the new account right after its login", async () => {
    const token = fake.issueToken({ label: "added" });
    fake.setUsage(token.accessToken, usagePayload(37, 64));
    const w = makeWorld({
      vars: {
        CCP_USAGE_URL: fake.usageUrl,
        CCP_TOKEN_URL: fake.tokenUrl,
        FAKE_ACCESS_TOKEN: token.accessToken,
      },
    });
    const add = await ccp(w, ["add", "--yes", "--run-login", "--no-alias", "--label", "work"]);
    expect(add.code).toBe(0);
    fakeHeartbeat(w.dbPath);
    fake.clearRequests();
    const status = await ccp(w, ["status", "--json"]);
    const [account] = JSON.parse(status.stdout).accounts;
    expect(account.sampledAtMs).not.toBeNull();
    expect([account.util5Pct, account.util7Pct]).toEqual([37, 64]);
    // The numbers came from the sample `add` took, not from status.
    expect(fake.requests.filter((q) => q.path === USAGE_PATH)).toEqual([]);
  });
});
