// The daemon line of `ccp doctor` tells the truth: service manager and unit, running pid, version,
// heartbeat, last poll, last error; `--fix` starts a daemon that is not running.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { runCli } from "../helpers/cli.ts";
import { reapAll, startDaemon, trackHome, waitFor, withDb } from "../helpers/daemon.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";
import { daemonAlive } from "../../src/store/meta.ts";

setDefaultTimeout(30_000);

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(reapAll);
afterAll(async () => {
  await fake.stop();
});

interface DoctorFinding {
  check: string;
  status: string;
  message: string;
  fix: string | null;
  fixable: boolean;
  changed: string[];
}

async function daemonFinding(vars: Record<string, string>, args: string[] = []): Promise<DoctorFinding> {
  const r = await runCli(["doctor", "--json", ...args], { env: vars });
  const report = JSON.parse(r.stdout) as { findings: DoctorFinding[] };
  return report.findings.find((f) => f.check === "daemon") as DoctorFinding;
}

describe("ccp doctor: the daemon", () => {
  test("a running daemon is reported with its pid, version, heartbeat and last poll", async () => {
    const pool = await makePool(fake, [{ name: "a", util5Pct: 10, util7Pct: 10 }]);
    const home = pool.vars.CCP_HOME as string;
    const d = startDaemon(pool.vars);
    await waitFor("the daemon's first poll", () =>
      withDb(home, (db) => db.query("SELECT 1 FROM meta WHERE key = 'daemon_last_poll_ms'").get()),
    );
    const f = await daemonFinding(pool.vars);
    expect(f.status).toBe("ok");
    expect(f.message).toContain(`Running (pid ${d.pid}, version ${VERSION}, heartbeat `);
    expect(f.message).toMatch(/last poll \d+s ago/);
    expect(f.message).not.toContain("no background service yet");
  });

  test("a daemon that is not running is a problem; --fix starts it", async () => {
    const pool = await makePool(fake, [{ name: "a", util5Pct: 10, util7Pct: 10 }], {
      CCP_DAEMON_AUTOSTART: "1",
      CCP_POLL_INTERVAL: "1s",
    });
    const home = pool.vars.CCP_HOME as string;
    trackHome(home);
    const found = await daemonFinding(pool.vars);
    expect(found).toMatchObject({ status: "problem", fixable: true });
    expect(found.message).toContain("Not running (it never ran)");
    const fixed = await daemonFinding(pool.vars, ["--fix"]);
    expect(fixed.status).toBe("fixed");
    expect(fixed.changed.join(" ")).toMatch(/started it in the background \(pid \d+\)|restarted it/);
    await waitFor("the restarted daemon's heartbeat", () =>
      withDb(home, (db) => daemonAlive(db, Date.now())),
    );
    const pid = Number(readFileSync(join(home, "daemon.pid"), "utf8"));
    const after = await daemonFinding(pool.vars);
    expect(after.status).toBe("ok");
    expect(after.message).toContain(`Running (pid ${pid}`);
  });

  test("an empty pool says so instead of 'No problems left'", async () => {
    const r = await runCli(["doctor"], { env: { PATH: pathWith(standInClaudeDir()) } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("the pool is empty");
    expect(r.stdout).not.toContain("No problems left");
  });
});
