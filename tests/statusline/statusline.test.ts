// `ccp statusline` as Claude Code runs it: JSON on stdin, one line out, never a failure.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderStatusLine } from "../../src/app/statusline.ts";
import { openDb } from "../../src/store/db.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let pool: TestPool;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(fake, [{ name: "work" }, { name: "personal" }]);
});
afterAll(async () => {
  await fake.stop();
});

const HOUR = 3_600_000;

function payload(over: Record<string, unknown> = {}): string {
  const now = Date.now();
  return JSON.stringify({
    session_id: "11111111-2222-4333-8444-555555555555",
    cwd: "/tmp/x",
    model: { id: "claude-opus-5-5", display_name: "Opus 5.5" },
    cost: { total_api_duration_ms: 504, total_cost_usd: 0.01 },
    rate_limits: {
      five_hour: { used_percentage: 42, resets_at: Math.round((now + 2 * HOUR) / 1000) },
      seven_day: { used_percentage: 17, resets_at: Math.round((now + 3 * 24 * HOUR) / 1000) },
    },
    ...over,
  });
}

function dbPath(): string {
  return join(pool.vars.CCP_HOME as string, "pool.db");
}

function samplesOf(accountId: number): Array<{ util5_pct: number; util7_pct: number; reset5_at_ms: number }> {
  const db = openDb(dbPath());
  try {
    return db
      .query<{ util5_pct: number; util7_pct: number; reset5_at_ms: number }, [number]>(
        "SELECT util5_pct, util7_pct, reset5_at_ms FROM usage_samples WHERE account_id = ? ORDER BY id",
      )
      .all(accountId);
  } finally {
    db.close();
  }
}

function statusline(stdin: string, extra: Record<string, string | undefined> = {}, args: string[] = []) {
  return runCli(["statusline", ...args], { env: { ...pool.vars, ...extra }, stdin });
}

describe("ccp statusline", () => {
  test("prints the session's account, 5h/7d used and the nearer reset, and records the sample", async () => {
    const work = pool.accounts[0]!;
    const before = samplesOf(work.id).length;
    const r = await statusline(payload(), { CLAUDE_CONFIG_DIR: work.configDir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^work · 5h 42% · 7d 17% · 5h resets \d{1,2}:\d{2} [AP]M( ▲)?\n$/);
    const samples = samplesOf(work.id);
    expect(samples.length).toBe(before + 1);
    expect(samples.at(-1)?.util5_pct).toBe(42);
    expect(samples.at(-1)?.util7_pct).toBe(17);
  });

  test("the same report again (no new API response) is not a new sample", async () => {
    const work = pool.accounts[0]!;
    const before = samplesOf(work.id).length;
    const r = await statusline(payload(), { CLAUDE_CONFIG_DIR: work.configDir });
    expect(r.stdout).toStartWith("work · 5h 42%");
    expect(samplesOf(work.id).length).toBe(before);
    // A new response (API time grew) with new values is.
    const next = payload({
      cost: { total_api_duration_ms: 900 },
      rate_limits: { five_hour: { used_percentage: 44, resets_at: Math.round((Date.now() + HOUR) / 1000) } },
    });
    const r2 = await statusline(next, { CLAUDE_CONFIG_DIR: work.configDir });
    expect(r2.stdout).toStartWith("work · 5h 44% · 7d -");
    expect(samplesOf(work.id).length).toBe(before + 1);
  });

  test("a config dir that is not a pool account prints nothing of ours and records nothing", async () => {
    const personal = pool.accounts[1]!;
    for (const dir of [undefined, join(pool.home, ".claude"), `${personal.configDir}-other`, tempDir()]) {
      const r = await statusline(payload(), { CLAUDE_CONFIG_DIR: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
    }
    expect(samplesOf(personal.id).length).toBe(0);
  });

  test("before the first response (no rate_limits) it shows the cached values; garbage on stdin is harmless", async () => {
    const personal = pool.accounts[1]!;
    for (const stdin of [payload({ rate_limits: undefined }), "not json {", ""]) {
      const r = await statusline(stdin, { CLAUDE_CONFIG_DIR: personal.configDir });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("personal · 5h - · 7d -\n");
    }
    expect(samplesOf(personal.id).length).toBe(0);
  });

  test("a wrapped status line gets the same stdin and its output comes first, unchanged", async () => {
    const work = pool.accounts[0]!;
    const dir = tempDir("sl-");
    const seen = join(dir, "seen.json");
    const script = join(dir, "mine.sh");
    writeFileSync(script, `#!/bin/sh\ncat > ${seen}\nprintf '\\033[32mmine\\033[0m | %s\\n' "$1"\n`);
    chmodSync(script, 0o755);
    const stdin = payload({ cost: { total_api_duration_ms: 5000 } });
    const r = await statusline(stdin, { CLAUDE_CONFIG_DIR: work.configDir }, ["--", `${script} 'two words'`]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("\u001b[32mmine\u001b[0m | two words");
    expect(lines[1]).toStartWith("work · 5h 42%");
    expect(readFileSync(seen, "utf8")).toBe(stdin);
    // argv form (several words after --) runs without a shell.
    const argv = await statusline(stdin, { CLAUDE_CONFIG_DIR: work.configDir }, ["--", "/bin/echo", "a;b"]);
    expect(argv.stdout.split("\n")[0]).toBe("a;b");
  });

  test("a wrapped status line that fails or hangs never breaks ours; outside the pool theirs still shows", async () => {
    const work = pool.accounts[0]!;
    const failing = await statusline(payload(), { CLAUDE_CONFIG_DIR: work.configDir }, [
      "--",
      "echo partial; exit 3",
    ]);
    expect(failing.code).toBe(0);
    expect(failing.stdout.split("\n").slice(0, 2)).toEqual(["partial", expect.stringMatching(/^work · /)]);
    const missing = await statusline(payload(), { CLAUDE_CONFIG_DIR: work.configDir }, [
      "--",
      "/no/such/cmd",
    ]);
    expect(missing.code).toBe(0);
    expect(missing.stdout).toStartWith("work · ");
    const hanging = await statusline(payload(), { CLAUDE_CONFIG_DIR: work.configDir }, ["--", "sleep 30"]);
    expect(hanging.code).toBe(0);
    expect(hanging.stdout).toStartWith("work · ");
    const outside = await statusline(payload(), {}, ["--", "echo theirs"]);
    expect(outside.stdout).toBe("theirs\n");
  });

  test("no pool, a damaged database or a bad environment: exit 0, nothing of ours", async () => {
    const work = pool.accounts[0]!;
    const empty = await runCli(["statusline"], {
      env: { HOME: tempDir(), CCP_HOME: join(tempDir(), "none"), CLAUDE_CONFIG_DIR: work.configDir },
      stdin: payload(),
    });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe("");
    const home = join(tempDir(), "ccp");
    const broken = await runCli(["statusline", "--", "echo theirs"], {
      env: { ...pool.vars, CCP_HOME: home, CCP_USAGE_URL: "not a url", CLAUDE_CONFIG_DIR: work.configDir },
      stdin: payload(),
    });
    expect(broken.code).toBe(0);
    expect(broken.stdout).toBe("theirs\n");
    const damagedHome = tempDir("damaged-");
    writeFileSync(join(damagedHome, "pool.db"), "this is not sqlite at all, just text padding it out");
    const damaged = await runCli(["statusline"], {
      env: { ...pool.vars, CCP_HOME: damagedHome, CLAUDE_CONFIG_DIR: join(damagedHome, "accounts/acct-01") },
      stdin: payload(),
    });
    expect(damaged.code).toBe(0);
    expect(damaged.stdout).toBe("");
  });
});

describe("renderStatusLine", () => {
  const now = Date.UTC(2026, 0, 5, 12, 0, 0);
  test("shows the nearer reset and marks a window that drains faster than it refills", () => {
    const calm = renderStatusLine(
      {
        name: "a",
        util5Pct: 20,
        reset5AtMs: now + HOUR,
        util7Pct: 50,
        reset7AtMs: now + 4 * 24 * HOUR,
        burn5PctPerHour: 5,
      },
      now,
    );
    expect(calm).toMatch(/^a · 5h 20% · 7d 50% · 5h resets \d{1,2}:\d{2} [AP]M$/);
    const fast = renderStatusLine(
      {
        name: "a",
        util5Pct: 60,
        reset5AtMs: now + 3 * HOUR,
        util7Pct: 50,
        reset7AtMs: now + 4 * 24 * HOUR,
        burn5PctPerHour: 20,
      },
      now,
    );
    expect(fast).toEndWith(" ▲");
    // The week resets first: its reset is the one shown, with the weekday when it is not today.
    const weekFirst = renderStatusLine(
      {
        name: "a",
        util5Pct: 10,
        reset5AtMs: null,
        util7Pct: 90,
        reset7AtMs: now + 30 * HOUR,
        burn5PctPerHour: null,
      },
      now,
    );
    expect(weekFirst).toMatch(/· 7d resets [A-Z][a-z]{2} \d{1,2}:\d{2} [AP]M$/);
    // Linear pace without a measured burn: 50% used one hour into the window is too fast.
    const early = renderStatusLine(
      {
        name: "a",
        util5Pct: 50,
        reset5AtMs: now + 4 * HOUR,
        util7Pct: 1,
        reset7AtMs: null,
        burn5PctPerHour: null,
      },
      now,
    );
    expect(early).toEndWith(" ▲");
  });
});

describe("clockTime", () => {
  test("12-hour clock like the rest of cc-pool, with the weekday beyond the day", async () => {
    const { clockTime } = await import("../../src/app/statusline.ts");
    const at = new Date(2026, 0, 5, 18, 5).getTime();
    expect(clockTime(at, at - HOUR)).toBe("6:05 PM");
    expect(clockTime(new Date(2026, 0, 5, 0, 30).getTime(), new Date(2026, 0, 4, 23, 0).getTime())).toBe(
      "12:30 AM",
    );
    expect(clockTime(new Date(2026, 0, 5, 12, 0).getTime(), new Date(2026, 0, 5, 11, 0).getTime())).toBe(
      "12:00 PM",
    );
    expect(clockTime(at, at - 30 * HOUR)).toBe("Mon 6:05 PM");
  });
});
