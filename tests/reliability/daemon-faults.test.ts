// The daemon under fire: the fake Anthropic server failing in every mode while it polls, and the
// daemon killed with SIGKILL at random points across 50 runs. The database must stay intact and a
// new daemon must pick up where the last one died.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { type FakeAnthropic, type FaultMode, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { reapAll, samples, startDaemon, waitFor } from "../helpers/daemon.ts";
import { makePool } from "../helpers/pool.ts";

const MODES: FaultMode[] = [
  "429",
  "429-no-retry-after",
  "400",
  "401",
  "403",
  "404",
  "500",
  "503",
  "malformed-json",
  "truncated",
  "html",
  "too-large",
  "too-large-chunked",
  "slow",
];
const KILL_RUNS = 50;

let fake: FakeAnthropic;
const summary: string[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(async () => {
  fake.clearFaults();
  await reapAll();
});
afterAll(async () => {
  await fake.stop();
  for (const line of summary) console.log(line);
});

function integrity(ccpHome: string): string {
  const db = new Database(join(ccpHome, "pool.db"), { readonly: true });
  try {
    return (db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
}

/** Deterministic pseudo-random numbers, so a failing kill point can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("daemon faults", () => {
  test("every failure mode of the usage endpoint: the daemon keeps polling and recovers", async () => {
    const pool = await makePool(fake, [
      { name: "a", util5Pct: 20, util7Pct: 10 },
      { name: "b", util5Pct: 40, util7Pct: 10 },
    ]);
    const home = pool.vars.CCP_HOME as string;
    const daemon = startDaemon(pool.vars, { CCP_POLL_INTERVAL: "500ms" });
    await waitFor("first samples", () => samples(home).filter((s) => s.status === "ok").length >= 2);
    let injected = 0;
    for (const mode of MODES) {
      const before = samples(home).length;
      // Slow answers still arrive inside the daemon's timeout; they must not wedge it.
      fake.fault(mode, { count: "forever", path: "*", retryAfter: "0", delayMs: 1500 });
      injected++;
      await waitFor(`a poll under ${mode}`, () => samples(home).length > before, 20_000);
      fake.clearFaults();
    }
    const cleared = samples(home).length;
    await waitFor(
      "clean samples after the faults",
      () =>
        samples(home)
          .slice(cleared)
          .some((s) => s.status === "ok"),
      20_000,
    );
    expect(daemon.proc.exitCode).toBeNull();
    expect(integrity(home)).toBe("ok");
    const statuses = new Set(samples(home).map((s) => s.status));
    expect(statuses).toEqual(new Set(["ok", "rate_limited", "unauthorized", "error"]));
    summary.push(
      `daemon faults: ${injected} failure modes injected while polling, daemon alive, integrity ok`,
    );
  }, 120_000);

  test(`SIGKILL at random points across ${KILL_RUNS} runs never corrupts the database`, async () => {
    const pool = await makePool(fake, [
      { name: "k1", util5Pct: 10, util7Pct: 10 },
      { name: "k2", util5Pct: 30, util7Pct: 10 },
      { name: "k3", util5Pct: 50, util7Pct: 10 },
    ]);
    const home = pool.vars.CCP_HOME as string;
    const random = prng(20261125);
    const failures: string[] = [];
    for (let run = 0; run < KILL_RUNS; run++) {
      const daemon = startDaemon(pool.vars, { CCP_POLL_INTERVAL: "500ms" });
      await Bun.sleep(Math.floor(random() * 500));
      daemon.proc.kill("SIGKILL");
      await daemon.proc.exited;
      const check = integrity(home);
      if (check !== "ok") failures.push(`run ${run}: ${check}`);
    }
    // The last word: a daemon after all that starts cleanly and samples.
    const before = samples(home).length;
    const survivor = startDaemon(pool.vars, { CCP_POLL_INTERVAL: "500ms" });
    await waitFor("samples after the kills", () => samples(home).length > before, 20_000);
    expect(survivor.proc.exitCode).toBeNull();
    expect(failures).toEqual([]);
    summary.push(
      `daemon kills: ${KILL_RUNS} SIGKILLs at random points, ${failures.length} integrity failures, restart ok`,
    );
  }, 120_000);
});
