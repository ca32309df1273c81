// The status view's clock reads the machine's time through libc rather than Intl (see
// src/ui/status/local-time.ts); it must print exactly what Intl prints for the machine's zone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { newestSamples } from "../../src/store/usage.ts";
import { makeClock } from "../../src/ui/status/clock.ts";
import { REPO_ROOT, baseEnv, runCli } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

const PROBE = join(REPO_ROOT, "tests/status/clock-probe.ts");

interface Probe {
  checked: number;
  wrong: unknown[];
  unheld: string[][];
  usesLibc: boolean;
}

async function probe(tz: string | undefined): Promise<Probe> {
  const proc = Bun.spawn([process.execPath, PROBE], {
    env: baseEnv({ TZ: tz }),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  expect(err).toBe("");
  expect(code).toBe(0);
  return JSON.parse(out) as Probe;
}

describe("the machine clock", () => {
  // Whole hours, DST both hemispheres, half and quarter hours, a half-hour DST shift.
  const zones = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
  ];
  for (const zone of zones) {
    test.skipIf(!existsSync(`/usr/share/zoneinfo/${zone}`) && process.platform === "linux")(
      `writes what Intl writes in ${zone}, every hour of four years`,
      async () => {
        const r = await probe(zone);
        expect(r.usesLibc).toBe(process.platform === "linux" || process.platform === "darwin");
        expect(r.checked).toBeGreaterThan(30_000);
        expect(r.wrong).toEqual([]);
      },
    );
  }

  test("with TZ unset it follows the machine's zone, as Intl does", async () => {
    const r = await probe(undefined);
    expect(r.wrong).toEqual([]);
  });

  test("a time no Date can hold is '?', never an exception", async () => {
    const r = await probe("Europe/Berlin");
    expect(r.unheld).toEqual([
      ["?", "?"],
      ["?", "?"],
      ["?", "?"],
      ["?", "?"],
    ]);
  });
});

describe("ccp status --plain writes times on the machine's clock", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.stop();
  });

  test("a reset in Asia/Kolkata (UTC+5:30) shows at Kolkata's time", async () => {
    const pool = await makePool(fake, [
      { name: "work", util5Pct: 22, util7Pct: 46, reset5InMs: 2 * 3_600_000 },
    ]);
    const r = await runCli(["status", "--plain"], { env: { ...pool.vars, TZ: "Asia/Kolkata" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    const sample = [...newestSamples(db).values()][0];
    db.close();
    const kolkata = makeClock("Asia/Kolkata", "en-US");
    const resetAt = sample?.reset5AtMs as number;
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[1]).toEndWith(` ${kolkata.time(resetAt)}`);
    expect(lines.at(-1)).toBe(`updated ${kolkata.time(sample?.takenAtMs as number)}`);
  });
});
