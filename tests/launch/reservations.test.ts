// `ccp select` / `ccp env` reservations: short-lived, shown as "reserved", never counted as live
// sessions, never blocking `remove` or `service uninstall --purge`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RESERVATION_TTL_MS } from "../../src/app/select.ts";
import { openDb } from "../../src/store/db.ts";
import { runCli } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

const noServiceManager =
  process.platform === "linux" &&
  !(
    Bun.which("systemctl") !== null &&
    Bun.spawnSync(["systemctl", "--user", "show-environment"], { stdout: "ignore", stderr: "ignore" })
      .exitCode === 0
  );

describe("reservations", () => {
  test("five `ccp env` calls show as reserved, not as five live sessions, and expire quickly", async () => {
    const pool = await makePool(fake, [
      { name: "idle", util5Pct: 10, util7Pct: 10 },
      { name: "other", util5Pct: 60, util7Pct: 60 },
    ]);
    const cwd = pool.home;
    for (let i = 0; i < 5; i++) {
      const r = await runCli(["env"], { env: pool.vars, cwd });
      expect(r.code).toBe(0);
    }
    const status = await runCli(["status", "--json"], { env: pool.vars, cwd });
    const json = JSON.parse(status.stdout);
    const idle = json.accounts.find((a: { name: string }) => a.name === "idle");
    expect(idle.activeSessions).toBe(0);
    expect(idle.reservedSessions).toBe(5);
    expect(json.totals.liveSessions).toBe(0);
    const plain = await runCli(["status", "--plain"], { env: pool.vars, cwd });
    expect(plain.stdout).toMatch(/idle\s+\S+\s+10%\s+10%\s+0 .*reserved 5/);

    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    try {
      const rows = db
        .query<{ ttl: number }, []>(
          "SELECT expires_at_ms - started_at_ms AS ttl FROM sessions WHERE ended_at_ms IS NULL",
        )
        .all();
      expect(rows).toHaveLength(5);
      for (const r of rows) expect(r.ttl).toBe(RESERVATION_TTL_MS);
    } finally {
      db.close();
    }
    expect(RESERVATION_TTL_MS).toBeLessThanOrEqual(2 * 60_000);
  });

  test.skipIf(!noServiceManager)("reservations do not block `service uninstall --purge`", async () => {
    const pool = await makePool(fake, [{ name: "a", util5Pct: 10, util7Pct: 10 }]);
    expect((await runCli(["select"], { env: pool.vars })).code).toBe(0);
    const r = await runCli(["service", "uninstall", "--purge"], { env: pool.vars });
    expect(r.stderr).not.toContain("session(s) are running");
    expect(r.code).toBe(0);
    expect(existsSync(pool.vars.CCP_HOME as string)).toBe(false);
  });
});
