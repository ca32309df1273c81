// `ccp remove` while the daemon or a launch is sampling that very account: the foreign keys hold,
// the sample for the removed account is dropped, and nothing crashes.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { daemonLog, isAlive, reapAll, samples, startDaemon, waitFor } from "../helpers/daemon.ts";
import { type FakeAnthropic, startFakeAnthropic, USAGE_PATH } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

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

const inFlight = () => fake.requests.length;

test("removing an account while the daemon's poll of it is in flight: the daemon keeps running", async () => {
  const pool = await makePool(fake, [
    { name: "doomed", util5Pct: 10 },
    { name: "stays", util5Pct: 20 },
  ]);
  // Every usage answer takes 1.5 s, so a removal lands while a poll is out.
  fake.fault("slow", { path: USAGE_PATH, count: "forever", delayMs: 1_500 });
  const daemon = startDaemon(pool.vars);
  const ccpHome = pool.vars.CCP_HOME as string;
  await Bun.sleep(800);
  const r = await runCli(["remove", "doomed"], { env: pool.vars });
  expect(r.code).toBe(0);
  fake.clearFaults();
  await waitFor("polls of the remaining account", () =>
    samples(ccpHome).some((s) => s.account_id === 2 && s.status === "ok"),
  );
  await Bun.sleep(1_500);
  expect(isAlive(daemon.pid)).toBe(true);
  expect(daemonLog(ccpHome)).not.toContain("FOREIGN KEY");
  expect(daemonLog(ccpHome)).not.toContain("crashed");
  expect(samples(ccpHome).filter((s) => s.account_id === 1)).toEqual([]);
  expect(inFlight()).toBeGreaterThan(0);
}, 30_000);

test("removing an account while `ccp run` samples it: the launch goes on, no constraint error", async () => {
  const pool = await makePool(
    fake,
    [
      { name: "doomed", util5Pct: 10 },
      { name: "stays", util5Pct: 20 },
    ],
    {
      PATH: pathWith(standInClaudeDir()),
    },
  );
  fake.fault("slow", { path: USAGE_PATH, count: 2, delayMs: 1_500 });
  const run = runCli(["run", "--", "-p", "hi"], { env: pool.vars, cwd: tempDir() });
  await Bun.sleep(700);
  expect((await runCli(["remove", "doomed"], { env: pool.vars })).code).toBe(0);
  const r = await run;
  expect(r.stderr).not.toContain("FOREIGN KEY");
  expect(r.stderr).not.toContain("Unexpected error");
}, 30_000);
