// An idle daemon skips what did not change (processes already read, overlays whose dirs kept
// their stamps, logins whose expiry is far off, accounts when nothing wrote the database): what
// does change while it idles must still be picked up. Real `ccp daemon` processes, fake server.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { STAMP_SETTLE_MS } from "../../src/daemon/idle.ts";
import { deleteAccountRow } from "../../src/store/accounts.ts";
import { writeTx } from "../../src/store/db.ts";
import { insertSession } from "../../src/store/sessions.ts";
import { tempDir } from "../helpers/cli.ts";
import { reapAll, samples, startDaemon, trackPid, waitFor, withDb } from "../helpers/daemon.ts";
import { type FakeAnthropic, USAGE_PATH, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { addPoolAccount, makePool } from "../helpers/pool.ts";

setDefaultTimeout(60_000);

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

function linkOf(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** `sleep` under the name `claude`, so a process scan takes it for a claude session. */
function claudeNamedSleep(): string {
  const dir = join(tempDir("claude-named-"), "bin");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "claude");
  symlinkSync(Bun.which("sleep") ?? "/bin/sleep", path);
  return path;
}

interface SessionRow {
  id: number;
  kind: string;
  pid: number | null;
  ended_at_ms: number | null;
}

function sessionOf(ccpHome: string, where: string, arg: number): SessionRow | null {
  return withDb(ccpHome, (db) =>
    db.query<SessionRow, [number]>(`SELECT id, kind, pid, ended_at_ms FROM sessions WHERE ${where}`).get(arg),
  );
}

describe("overlay", () => {
  test("a change to ~/.claude or to an account dir made while the daemon idles is still synced", async () => {
    const pool = await makePool(fake, [{ name: "one" }, { name: "two" }]);
    const [one, two] = pool.accounts as [(typeof pool.accounts)[0], (typeof pool.accounts)[0]];
    const base = join(pool.home, ".claude");
    startDaemon(pool.vars);
    await waitFor("a first sweep", () => samples(home(pool.vars)).length >= 2);
    // Dirs changed within the last seconds are synced in full every time; once they have been
    // still that long, the daemon's syncs skip them. The changes below come after that.
    await Bun.sleep(STAMP_SETTLE_MS + 2_000);

    mkdirSync(join(base, "agents-late"));
    await waitFor("the new dir linked into every account", () =>
      pool.accounts.every((a) => linkOf(join(a.configDir, "agents-late")) === join(base, "agents-late")),
    );

    await Bun.sleep(STAMP_SETTLE_MS + 2_000);
    unlinkSync(join(one.configDir, "agents-late"));
    // Repointed the way a tool would: a new link renamed over the old one.
    symlinkSync(tempDir("elsewhere-"), join(two.configDir, "agents-late.tmp"));
    renameSync(join(two.configDir, "agents-late.tmp"), join(two.configDir, "agents-late"));
    await waitFor("the removed link re-created and the repointed one fixed", () =>
      pool.accounts.every((a) => linkOf(join(a.configDir, "agents-late")) === join(base, "agents-late")),
    );
  });
});

describe("accounts", () => {
  test("an account added while the daemon idles is polled; one removed is polled no more", async () => {
    const pool = await makePool(fake, [{ name: "first", util5Pct: 10 }]);
    const [first] = pool.accounts as [(typeof pool.accounts)[0]];
    startDaemon(pool.vars);
    await waitFor("a first poll", () => samples(home(pool.vars)).length >= 1);

    const late = await addPoolAccount(pool, fake, { name: "late", util5Pct: 42 });
    const polledLate = await waitFor("the new account polled", () =>
      samples(home(pool.vars)).find((s) => s.account_id === late.id && s.status === "ok"),
    );
    expect(polledLate.util5_pct).toBe(42);

    withDb(home(pool.vars), (db) => writeTx(db, () => deleteAccountRow(db, late.id)));
    const lateRequests = (): number =>
      fake.requests.filter((r) => r.path === USAGE_PATH && r.chainId === late.token.chainId).length;
    const atRemoval = lateRequests();
    const firstPolls = (): number => samples(home(pool.vars)).filter((s) => s.account_id === first.id).length;
    const firstAtRemoval = firstPolls();
    await waitFor("three more polls of the remaining account", () => firstPolls() >= firstAtRemoval + 3);
    // One request may have been in flight when the row went.
    expect(lateRequests()).toBeLessThanOrEqual(atRemoval + 1);
  });
});

describe("sessions", () => {
  test("a claude started by hand while the daemon idles is found, and closed when it ends", async () => {
    const pool = await makePool(fake, [{ name: "by-hand" }]);
    const [account] = pool.accounts as [(typeof pool.accounts)[0]];
    startDaemon(pool.vars);
    await waitFor("a first poll", () => samples(home(pool.vars)).length >= 1);

    // No reservation (no `ccp select`): found by the full scan of a sweep.
    const child = Bun.spawn([claudeNamedSleep(), "60"], {
      env: { PATH: process.env.PATH ?? "", CLAUDE_CONFIG_DIR: account.configDir },
      stdio: ["ignore", "ignore", "ignore"],
    });
    trackPid(child.pid);
    await waitFor("the session recorded", () =>
      sessionOf(home(pool.vars), "kind = 'external' AND pid = ? AND ended_at_ms IS NULL", child.pid),
    );
    child.kill("SIGKILL");
    await child.exited;
    await waitFor(
      "the session closed",
      () => sessionOf(home(pool.vars), "pid = ?", child.pid)?.ended_at_ms != null,
    );
  });

  test("a reservation is taken over by the claude a process already seen exec's into", async () => {
    // A long interval: sweeps (and their full scans) come every 30 s, housekeeping every 5 s.
    const pool = await makePool(fake, [{ name: "reserved" }], { CCP_POLL_INTERVAL: "30s" });
    const [account] = pool.accounts as [(typeof pool.accounts)[0]];
    startDaemon(pool.vars, { CCP_POLL_INTERVAL: "30s" });
    await waitFor("a first poll", () => samples(home(pool.vars)).length >= 1);

    const cwd = tempDir("work-");
    const reservationId = withDb(home(pool.vars), (db) =>
      writeTx(db, () =>
        insertSession(db, {
          accountId: account.id,
          kind: "select",
          pid: null,
          cwd,
          startedAtMs: Date.now(),
          expiresAtMs: Date.now() + 120_000,
        }),
      ),
    );
    // `CLAUDE_CONFIG_DIR=$(ccp select) some-wrapper` where the wrapper exec's claude: a scan
    // before the exec sees a shell; after it, the same pid is claude.
    const wrapper = Bun.spawn(["sh", "-c", `sleep 6; exec '${claudeNamedSleep()}' 60`], {
      env: { PATH: process.env.PATH ?? "", CLAUDE_CONFIG_DIR: account.configDir },
      cwd,
      stdio: ["ignore", "ignore", "ignore"],
    });
    trackPid(wrapper.pid);
    const taken = await waitFor(
      "the reservation taken over",
      () => {
        const row = sessionOf(home(pool.vars), "id = ?", reservationId);
        return row?.pid === wrapper.pid && row;
      },
      20_000,
    );
    expect(taken.kind).toBe("external");
    expect(taken.ended_at_ms).toBeNull();
  });
});

describe("logins", () => {
  test("a stored login whose expiry moved into the refresh window while the daemon idles is refreshed", async () => {
    const pool = await makePool(fake, [{ name: "far", expiresInMs: 8 * 3_600_000 }]);
    const [account] = pool.accounts as [(typeof pool.accounts)[0]];
    startDaemon(pool.vars);
    await waitFor("two polls", () => samples(home(pool.vars)).length >= 2);
    expect(fake.chain(account.token.chainId).refreshCount).toBe(0);

    // Another tool stores a copy of the login that expires in five minutes.
    const path = join(account.configDir, ".credentials.json");
    const blob = JSON.parse(readFileSync(path, "utf8"));
    blob.claudeAiOauth.expiresAt = Date.now() + 5 * 60_000;
    writeFileSync(path, JSON.stringify(blob), { mode: 0o600 });
    await waitFor("the refresh", () => fake.chain(account.token.chainId).refreshCount === 1, 30_000);
  });
});
