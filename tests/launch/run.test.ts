import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { CLI_ENTRY, runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";
import { expectSacredUnchanged, snapshotSacred } from "../helpers/sacred.ts";

let fake: FakeAnthropic;
let claudeDir: string;
const spawned: Array<ReturnType<typeof Bun.spawn>> = [];
const claudePids: number[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
  claudeDir = standInClaudeDir();
});
afterAll(async () => {
  await fake.stop();
});
afterEach(() => {
  for (const p of spawned.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  for (const pid of claudePids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

interface Recorded {
  argv: string[];
  env: Record<string, string>;
  pid: number;
}

function records(file: string): Recorded[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function pool3(): Promise<TestPool> {
  return makePool(
    fake,
    [
      { name: "busy", util5Pct: 70, util7Pct: 40 },
      { name: "free", util5Pct: 10, util7Pct: 20 },
      { name: "mid", util5Pct: 40, util7Pct: 30 },
    ],
    { PATH: pathWith(claudeDir) },
  );
}

function sessionRows(
  pool: TestPool,
): Array<{ account_id: number; kind: string; ended: number | null; exit_code: number | null }> {
  const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
  try {
    return db
      .query<{ account_id: number; kind: string; ended: number | null; exit_code: number | null }, []>(
        "SELECT account_id, kind, ended_at_ms AS ended, exit_code FROM sessions ORDER BY id",
      )
      .all();
  } finally {
    db.close();
  }
}

describe("ccp run", () => {
  test("forwards every argument verbatim to claude on the emptiest account, with one CLAUDE_CONFIG_DIR", async () => {
    const pool = await pool3();
    const before = snapshotSacred(pool.home);
    const record = join(tempDir(), "rec.jsonl");
    const args = ["-p", "hello world", "--help", "--", "--resume", "it's", "ünï", ""];
    const r = await runCli(["run", ...args], {
      env: { ...pool.vars, FAKE_CLAUDE_RECORD: record, CLAUDE_CONFIG_DIR: "/somewhere/else" },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Selected free · 5h 10% used · 7d 20% used");
    const [rec] = records(record);
    expect(rec?.argv).toEqual(args);
    expect(rec?.env.CLAUDE_CONFIG_DIR).toBe(pool.accounts[1]?.configDir as string);
    expect(rec?.env.CLAUDE_CODE_PLUGIN_CACHE_DIR).toBe(join(pool.home, ".claude", "plugins"));
    expect(sessionRows(pool)).toEqual([
      { account_id: 2, kind: "run", ended: expect.any(Number), exit_code: 0 },
    ]);
    expectSacredUnchanged(pool.home, before);
  });

  test("bare ccp with flags is ccp run; a user's plugin dir is kept", async () => {
    const pool = await pool3();
    const record = join(tempDir(), "rec.jsonl");
    const r = await runCli(["-p", "x"], {
      env: { ...pool.vars, FAKE_CLAUDE_RECORD: record, CLAUDE_CODE_PLUGIN_CACHE_DIR: "/my/plugins" },
    });
    expect(r.code).toBe(0);
    const [rec] = records(record);
    expect(rec?.argv).toEqual(["-p", "x"]);
    expect(rec?.env.CLAUDE_CODE_PLUGIN_CACHE_DIR).toBe("/my/plugins");
  });

  test("claude's exit status comes back, and the session row is closed with it", async () => {
    const pool = await pool3();
    for (const code of [0, 3, 130]) {
      const r = await runCli(["run"], {
        env: { ...pool.vars, FAKE_CLAUDE_EXIT: String(code) },
        cwd: tempDir(),
      });
      expect(r.code).toBe(code);
    }
    expect(sessionRows(pool).map((s) => [s.exit_code, s.ended !== null])).toEqual([
      [0, true],
      [3, true],
      [130, true],
    ]);
  });

  test("a claude killed by a signal gives 128+N", async () => {
    const pool = await pool3();
    const term = await runCli(["run"], { env: { ...pool.vars, FAKE_CLAUDE_SELF_SIGNAL: "SIGTERM" } });
    expect(term.code).toBe(143);
    const kill = await runCli(["run"], {
      env: { ...pool.vars, FAKE_CLAUDE_SELF_SIGNAL: "SIGKILL" },
      cwd: tempDir(),
    });
    expect(kill.code).toBe(137);
    expect(sessionRows(pool).map((s) => s.exit_code)).toEqual([143, 137]);
  });

  async function startShim(
    pool: TestPool,
    extra: Record<string, string> = {},
  ): Promise<{ proc: ReturnType<typeof Bun.spawn>; claudePid: number }> {
    const ready = join(tempDir(), "ready");
    const proc = Bun.spawn([process.execPath, CLI_ENTRY, "run"], {
      env: { ...pool.vars, FAKE_CLAUDE_READY: ready, FAKE_CLAUDE_SLEEP_MS: "20000", ...extra },
      cwd: tempDir(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    spawned.push(proc);
    for (let i = 0; i < 200 && !existsSync(ready); i++) await Bun.sleep(50);
    const claudePid = Number(readFileSync(ready, "utf8"));
    claudePids.push(claudePid);
    return { proc, claudePid };
  }

  test("Ctrl-C (SIGINT to the process group) ends claude; the shim survives and reports 130", async () => {
    const pool = await pool3();
    const { proc } = await startShim(pool);
    process.kill(-(proc.pid as number), "SIGINT");
    expect(await proc.exited).toBe(130);
    expect(proc.signalCode).toBeNull();
    expect(sessionRows(pool)).toEqual([
      { account_id: 2, kind: "run", ended: expect.any(Number), exit_code: 130 },
    ]);
  });

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    test(`${signal} to the shim is forwarded to claude and the session is closed`, async () => {
      const pool = await pool3();
      const { proc, claudePid } = await startShim(pool);
      proc.kill(signal);
      const code = await proc.exited;
      expect(code).toBe(signal === "SIGTERM" ? 143 : 129);
      let alive = true;
      for (let i = 0; i < 50 && alive; i++) {
        try {
          process.kill(claudePid, 0);
          await Bun.sleep(20);
        } catch {
          alive = false;
        }
      }
      expect(alive).toBe(false);
      expect(sessionRows(pool)[0]?.ended).not.toBeNull();
    });
  }

  test("claude not found: exit 127 with a clear message, no session recorded", async () => {
    const pool = await pool3();
    const r = await runCli(["run"], { env: { ...pool.vars, PATH: "/usr/bin:/bin" } });
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("not found");
    expect(sessionRows(pool)).toEqual([]);
    const bad = await runCli(["run"], { env: { ...pool.vars, CCP_CLAUDE_BIN: "/nonexistent/claude" } });
    expect(bad.code).toBe(127);
    expect(bad.stderr).toContain("CCP_CLAUDE_BIN");
  });

  test("a `claude` on PATH that is cc-pool itself is skipped, so the alias cannot recurse", async () => {
    const pool = await pool3();
    const fakeBin = join(tempDir(), "bin");
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, "ccp"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
    symlinkSync(join(fakeBin, "ccp"), join(fakeBin, "claude"));
    const record = join(tempDir(), "rec.jsonl");
    const r = await runCli(["run"], {
      env: { ...pool.vars, PATH: `${fakeBin}:${pathWith(claudeDir)}`, FAKE_CLAUDE_RECORD: record },
    });
    expect(r.code).toBe(0);
    expect(records(record)).toHaveLength(1);
  });

  test("CCP_ACCOUNT forces an account; an unknown one is exit 2 before anything launches", async () => {
    const pool = await pool3();
    const record = join(tempDir(), "rec.jsonl");
    const forced = await runCli(["run"], {
      env: { ...pool.vars, CCP_ACCOUNT: "busy", FAKE_CLAUDE_RECORD: record },
    });
    expect(forced.code).toBe(0);
    expect(records(record)[0]?.env.CLAUDE_CONFIG_DIR).toBe(pool.accounts[0]?.configDir as string);
    const unknown = await runCli(["run"], {
      env: { ...pool.vars, CCP_ACCOUNT: "9", FAKE_CLAUDE_RECORD: record },
    });
    expect(unknown.code).toBe(2);
    expect(records(record)).toHaveLength(1);
  });

  test("an empty CCP_ACCOUNT means unset, like every other empty variable", async () => {
    const pool = await pool3();
    const record = join(tempDir(), "rec.jsonl");
    for (const value of ["", "  "]) {
      const r = await runCli(["run"], {
        env: { ...pool.vars, CCP_ACCOUNT: value, FAKE_CLAUDE_RECORD: record },
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("Selected free");
    }
    expect(records(record).map((x) => x.env.CLAUDE_CONFIG_DIR)).toEqual([
      pool.accounts[1]?.configDir as string,
      pool.accounts[1]?.configDir as string,
    ]);
  });

  test("warns when an API key or token in the environment would override the subscription", async () => {
    const pool = await pool3();
    const r = await runCli(["run"], { env: { ...pool.vars, ANTHROPIC_API_KEY: "sk-ant-api-test" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("ANTHROPIC_API_KEY is set");
    expect(r.stderr).not.toContain("sk-ant-api-test");
  });

  test("an empty pool is a clear error", async () => {
    const r = await runCli(["run"], {
      env: { CCP_HOME: join(tempDir(), "none"), PATH: pathWith(claudeDir) },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ccp add");
  });
});

describe("ccp run refreshing an idle account's token (no daemon)", () => {
  test("a token about to expire is refreshed before claude starts, and claude gets the new one", async () => {
    const pool = await makePool(
      fake,
      [{ name: "expiring", util5Pct: 10, util7Pct: 10, expiresInMs: 30_000 }],
      {
        PATH: pathWith(claudeDir),
      },
    );
    const chain = pool.accounts[0]?.token.chainId as string;
    const r = await runCli(["run"], { env: pool.vars });
    expect(r.code).toBe(0);
    expect(fake.chain(chain).refreshCount).toBe(1);
    const stored = JSON.parse(
      readFileSync(join(pool.accounts[0]?.configDir as string, ".credentials.json"), "utf8"),
    );
    expect(stored.claudeAiOauth.accessToken).toBe(fake.chain(chain).current.accessToken);
    expect(stored.claudeAiOauth.expiresAt).toBeGreaterThan(Date.now() + 60 * 60_000);
  });

  test("a token still valid when claude starts is left to claude: no refresh on the launch path", async () => {
    const pool = await makePool(
      fake,
      [{ name: "valid", util5Pct: 10, util7Pct: 10, expiresInMs: 4 * 60_000 }],
      { PATH: pathWith(claudeDir) },
    );
    const r = await runCli(["run"], { env: pool.vars, cwd: tempDir() });
    expect(r.code).toBe(0);
    expect(fake.chain(pool.accounts[0]?.token.chainId as string).refreshCount).toBe(0);
  });

  test("a revoked login is reported, nothing is wiped, and claude still starts", async () => {
    const pool = await makePool(
      fake,
      [{ name: "revoked", util5Pct: 10, util7Pct: 10, expiresInMs: 30_000 }],
      {
        PATH: pathWith(claudeDir),
      },
    );
    const credPath = join(pool.accounts[0]?.configDir as string, ".credentials.json");
    fake.revoke(pool.accounts[0]?.token.chainId as string);
    const before = readFileSync(credPath, "utf8");
    const record = join(tempDir(), "rec.jsonl");
    const r = await runCli(["run"], { env: { ...pool.vars, FAKE_CLAUDE_RECORD: record }, cwd: tempDir() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("login was revoked");
    expect(readFileSync(credPath, "utf8")).toBe(before);
    expect(records(record)).toHaveLength(1);
  });

  test("no refresh while another session owns the account (a `ccp select` reservation here)", async () => {
    const pool = await makePool(fake, [{ name: "shared", util5Pct: 10, util7Pct: 10, expiresInMs: 30_000 }], {
      PATH: pathWith(claudeDir),
    });
    expect((await runCli(["select"], { env: pool.vars })).code).toBe(0);
    const r = await runCli(["run"], { env: pool.vars, cwd: tempDir() });
    expect(r.code).toBe(0);
    expect(fake.chain(pool.accounts[0]?.token.chainId as string).refreshCount).toBe(0);
  });
});
