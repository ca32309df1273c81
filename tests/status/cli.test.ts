import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as v from "valibot";
import { openDb } from "../../src/store/db.ts";
import { DAEMON_HEARTBEAT_KEY, setMeta } from "../../src/store/meta.ts";
import { StatusJsonSchema } from "../../src/ui/status/json.ts";
import { CLI_ENTRY, baseEnv, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, USAGE_PATH, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

const spawned: Array<ReturnType<typeof Bun.spawn>> = [];
afterEach(() => {
  for (const p of spawned.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});

const ANSI = /\u001b\[/;

/** The seed README's two accounts: no reset times, so no reset credit, and fresh samples. */
function seedPool(): Promise<TestPool> {
  return makePool(fake, [
    { name: "work@example.com", util5Pct: 22, util7Pct: 46, reset5InMs: null },
    { name: "personal@example.com", util5Pct: 61, util7Pct: 70, reset5InMs: null },
  ]);
}

function usageRequests(pool: TestPool): number {
  const chains = new Set(pool.accounts.map((a) => a.token.chainId));
  return fake.requests.filter((r) => r.path === USAGE_PATH && r.chainId !== null && chains.has(r.chainId))
    .length;
}

function setHeartbeat(pool: TestPool, atMs: number): void {
  const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
  try {
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(atMs));
  } finally {
    db.close();
  }
}

describe("ccp status --plain", () => {
  test("prints the seed's table with its numbers, sampling live when no daemon runs", async () => {
    const pool = await seedPool();
    const r = await runCli(["status", "--plain"], { env: { ...pool.vars, TZ: "UTC" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "  ACCOUNT                     SCORE  5h used  7d used  LIVE RESETS",
      "▸ work@example.com             68.1      22%      46%     0 -",
      "  personal@example.com         34.8      61%      70%     0 -",
      "▸ = next pick · score higher = emptier · 5h/7d = % used",
    ]);
    expect(lines[4]).toMatch(/^updated \d{1,2}:\d{2} [AP]M$/);
    expect(lines.length).toBe(5);
    expect(usageRequests(pool)).toBe(2);
  });

  test("piped output is the plain table without being asked, and without colour", async () => {
    const pool = await seedPool();
    const r = await runCli(["status"], { env: pool.vars });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("▸ work@example.com             68.1");
    expect(r.stdout).not.toMatch(ANSI);
  });

  test("colour only when forced, and never with NO_COLOR or --no-color", async () => {
    const pool = await seedPool();
    const forced = { ...pool.vars, NO_COLOR: undefined, FORCE_COLOR: "1" };
    expect((await runCli(["status", "--plain"], { env: forced })).stdout).toMatch(ANSI);
    expect((await runCli(["status", "--plain"], { env: { ...forced, NO_COLOR: "1" } })).stdout).not.toMatch(
      ANSI,
    );
    expect((await runCli(["status", "--plain", "--no-color"], { env: forced })).stdout).not.toMatch(ANSI);
  });

  test("with a live daemon, cached data is shown as is; --live samples anyway", async () => {
    const pool = await seedPool();
    setHeartbeat(pool, Date.now());
    const cached = await runCli(["status", "--plain"], { env: pool.vars });
    expect(cached.code).toBe(0);
    expect(usageRequests(pool)).toBe(0);
    expect(cached.stdout).toMatch(/work@example\.com\s+\S+\s+-\s+-/);
    const live = await runCli(["status", "--plain", "--live"], { env: pool.vars });
    expect(live.code).toBe(0);
    expect(usageRequests(pool)).toBe(2);
    expect(live.stdout).toContain("▸ work@example.com             68.1");
  });

  test("a failing usage endpoint still prints the table, with the accounts flagged", async () => {
    const pool = await seedPool();
    fake.fault("500", { count: 2 });
    try {
      const r = await runCli(["status", "--plain"], { env: pool.vars });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/work@example\.com .* stale/);
    } finally {
      fake.clearFaults();
    }
  });
});

describe("ccp status --json", () => {
  test("validates against the documented schema and carries every term", async () => {
    const pool = await seedPool();
    const r = await runCli(["status", "--json"], { env: pool.vars });
    expect(r.code).toBe(0);
    const json = v.parse(StatusJsonSchema, JSON.parse(r.stdout));
    expect(json.next).toEqual({
      id: pool.accounts[0]?.id as number,
      name: "work@example.com",
      kind: "selected",
    });
    expect(json.accounts.map((a) => [a.name, a.score, a.next])).toEqual([
      ["work@example.com", 68.1, true],
      ["personal@example.com", 34.8, false],
    ]);
    const terms = Object.fromEntries(json.accounts[0]?.terms.map((t) => [t.key, t.value]) ?? []);
    expect(terms).toMatchObject({ headroom5h: 54.6, headroom7d: 13.5, stale: 0, sessions: 0 });
    expect(json.accounts[0]).toMatchObject({ util5Pct: 22, util7Pct: 46, reset5AtMs: null, stale: false });
    expect(Math.abs(json.generatedAtMs - Date.now())).toBeLessThan(60_000);
  });

  test("an empty pool is `accounts: []`, exit 0, with or without a database", async () => {
    const home = tempDir("nopool-");
    const env = { HOME: home, CCP_HOME: join(home, ".cc-pool") };
    const none = await runCli(["status", "--json"], { env });
    expect(none.code).toBe(0);
    const json = v.parse(StatusJsonSchema, JSON.parse(none.stdout));
    expect(json.accounts).toEqual([]);
    expect(json.next).toBeNull();
    const emptyPool = await makePool(fake, []);
    const again = await runCli(["status", "--json"], { env: emptyPool.vars });
    expect(v.parse(StatusJsonSchema, JSON.parse(again.stdout)).accounts).toEqual([]);
  });

  test("the schema is strict: an undocumented or missing key fails", async () => {
    const pool = await seedPool();
    const json = JSON.parse((await runCli(["status", "--json"], { env: pool.vars })).stdout);
    expect(v.safeParse(StatusJsonSchema, { ...json, extra: 1 }).success).toBe(false);
    const { score: _score, ...noScore } = json.accounts[0];
    expect(v.safeParse(StatusJsonSchema, { ...json, accounts: [noScore] }).success).toBe(false);
  });
});

describe("ccp status: empty pool and usage errors", () => {
  test("an empty pool points to `ccp add` on stderr and exits 0", async () => {
    const home = tempDir("nopool-");
    for (const args of [["status"], ["status", "--plain"], ["status", "--watch"]]) {
      const r = await runCli(args, { env: { HOME: home, CCP_HOME: join(home, ".cc-pool") } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("ccp add");
    }
  });

  test("a bad --interval is a usage error", async () => {
    for (const value of ["soon", "0.5s"]) {
      const r = await runCli(["status", "--watch", "--interval", value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--interval");
    }
  });
});

describe("ccp status --watch", () => {
  async function readUntil(
    proc: ReturnType<typeof Bun.spawn>,
    done: (text: string) => boolean,
  ): Promise<string> {
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const deadline = Date.now() + 15_000;
    while (!done(text) && Date.now() < deadline) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += decoder.decode(value, { stream: true });
    }
    reader.releaseLock();
    return text;
  }

  test("reprints the table every interval until interrupted (exit 130)", async () => {
    const pool = await seedPool();
    const proc = Bun.spawn([process.execPath, CLI_ENTRY, "status", "--watch", "--interval", "1s"], {
      env: baseEnv(pool.vars),
      cwd: tempDir("cwd-"),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    spawned.push(proc);
    const text = await readUntil(proc, (t) => (t.match(/^updated /gm) ?? []).length >= 2);
    expect((text.match(/^▸ work@example\.com {13}68\.1/gm) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(text).not.toMatch(ANSI);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
  });

  test("with --json prints one valid object per line", async () => {
    const pool = await seedPool();
    const proc = Bun.spawn([process.execPath, CLI_ENTRY, "status", "--watch", "--json", "--interval", "1s"], {
      env: baseEnv(pool.vars),
      cwd: tempDir("cwd-"),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    spawned.push(proc);
    const text = await readUntil(proc, (t) => t.split("\n").length >= 3);
    proc.kill("SIGTERM");
    await proc.exited;
    // Only complete lines: the last piece may be cut mid-object.
    const lines = text.split("\n").slice(0, -1);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(v.parse(StatusJsonSchema, JSON.parse(line)).accounts.length).toBe(2);
  });
});
