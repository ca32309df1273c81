// Continue on another account when a session ends on an exhausted one (stand-in claude, in tmux
// for the terminal cases). The real claude resuming its conversation is in tests/e2e/continue-claude.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectSlug, transcriptSessionId } from "../../src/app/continue.ts";
import { openDb } from "../../src/store/db.ts";
import { CLI_ENTRY, runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool, usagePayload } from "../helpers/pool.ts";
import { killAllTmux, startTmux } from "../helpers/tmux.ts";

setDefaultTimeout(60_000);

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(() => killAllTmux());
afterAll(async () => {
  await fake.stop();
});

const SESSION = "0f0e0d0c-0b0a-4909-8807-060504030201";

interface Run {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

async function setup(): Promise<{
  pool: TestPool;
  record: string;
  cwd: string;
  vars: Record<string, string>;
}> {
  const pool = await makePool(fake, [
    { name: "work", util5Pct: 5, util7Pct: 10 },
    { name: "personal", util5Pct: 12, util7Pct: 20 },
  ]);
  const record = join(tempDir(), "runs.jsonl");
  const cwd = tempDir("project-");
  // The conversation's transcript in the shared projects folder, as claude writes it.
  const projects = join(pool.home, ".claude/projects", projectSlug(cwd));
  mkdirSync(projects, { recursive: true });
  writeFileSync(join(projects, `${SESSION}.jsonl`), '{"type":"user"}\n');
  const vars = {
    ...pool.vars,
    PATH: pathWith(standInClaudeDir()),
    FAKE_CLAUDE_RECORD: record,
    FAKE_CLAUDE_SLEEP_MS: "2500",
    FAKE_CLAUDE_EXIT: "3",
    TERM: "xterm",
  };
  return { pool, record, cwd, vars };
}

function runs(record: string): Run[] {
  if (!existsSync(record)) return [];
  return readFileSync(record, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The session's account fills up while claude runs. */
async function exhaustWhileRunning(pool: TestPool, record: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (runs(record).length === 0 && Date.now() < deadline) await Bun.sleep(50);
  fake.setUsage(pool.accounts[0]!.token.accessToken, usagePayload(100, 50, 2 * 3_600_000));
}

function sessionRows(pool: TestPool): Array<{ account_id: number; cwd: string; exit_code: number | null }> {
  const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
  try {
    return db
      .query<{ account_id: number; cwd: string; exit_code: number | null }, []>(
        "SELECT account_id, cwd, exit_code FROM sessions WHERE kind = 'run' ORDER BY id",
      )
      .all();
  } finally {
    db.close();
  }
}

const OFFER =
  /work@example\.com hit its 5h limit \(resets \d{1,2}:\d{2} [AP]M\)\. Continue on personal@example\.com \(5h 12% used\)\? \[Y\/n\]/;

describe("continue on another account", () => {
  test("accepting resumes the same conversation on the account with headroom, in the same directory", async () => {
    const { pool, record, cwd, vars } = await setup();
    const tmux = startTmux({ cmd: [process.execPath, CLI_ENTRY, "run", "--model", "opus"], env: vars, cwd });
    await exhaustWhileRunning(pool, record);
    await tmux.waitFor(OFFER, 20_000);
    tmux.keys("Enter");
    expect(await tmux.waitForExit(20_000)).toBe(3);
    const [first, second] = runs(record) as [Run, Run];
    expect(runs(record).length).toBe(2);
    expect(first.argv).toEqual(["--model", "opus"]);
    expect(first.env.CLAUDE_CONFIG_DIR).toBe(pool.accounts[0]!.configDir);
    expect(second.argv).toEqual(["--resume", SESSION]);
    expect(second.env.CLAUDE_CONFIG_DIR).toBe(pool.accounts[1]!.configDir);
    expect(second.cwd).toBe(first.cwd);
    expect(sessionRows(pool).map((r) => [r.account_id, r.exit_code])).toEqual([
      [pool.accounts[0]!.id, 3],
      [pool.accounts[1]!.id, 3],
    ]);
  });

  test("declining ends with claude's own status", async () => {
    const { pool, record, cwd, vars } = await setup();
    const tmux = startTmux({ cmd: [process.execPath, CLI_ENTRY, "run"], env: vars, cwd });
    await exhaustWhileRunning(pool, record);
    await tmux.waitFor(OFFER, 20_000);
    tmux.type("n");
    tmux.keys("Enter");
    expect(await tmux.waitForExit(20_000)).toBe(3);
    expect(runs(record).length).toBe(1);
  });

  test("no offer when the account still has headroom, or with CCP_CONTINUE=off", async () => {
    const { record, cwd, vars } = await setup();
    const calm = startTmux({ cmd: [process.execPath, CLI_ENTRY, "run"], env: vars, cwd });
    expect(await calm.waitForExit(20_000)).toBe(3);
    expect(calm.screen()).not.toContain("Continue on");
    const second = await setup();
    const off = startTmux({
      cmd: [process.execPath, CLI_ENTRY, "run"],
      env: { ...second.vars, CCP_CONTINUE: "off" },
      cwd: second.cwd,
    });
    await exhaustWhileRunning(second.pool, second.record);
    expect(await off.waitForExit(20_000)).toBe(3);
    expect(off.screen()).not.toContain("Continue on");
    expect(runs(record).length).toBe(1);
    expect(runs(second.record).length).toBe(1);
  });

  test("without a terminal: ask means no; auto continues and says so", async () => {
    const a = await setup();
    const ask = runCli(["run"], { env: a.vars, cwd: a.cwd, timeoutMs: 30_000 });
    await exhaustWhileRunning(a.pool, a.record);
    const asked = await ask;
    expect(asked.code).toBe(3);
    expect(asked.stderr).not.toContain("Continue on");
    expect(runs(a.record).length).toBe(1);

    const b = await setup();
    const auto = runCli(["run"], { env: { ...b.vars, CCP_CONTINUE: "auto" }, cwd: b.cwd, timeoutMs: 30_000 });
    await exhaustWhileRunning(b.pool, b.record);
    const done = await auto;
    expect(done.code).toBe(3);
    expect(done.stderr).toMatch(
      /Continue on personal@example\.com \(5h 12% used\): continuing \(CCP_CONTINUE=auto\)\./,
    );
    expect(runs(b.record).map((r) => r.argv)).toEqual([[], ["--resume", SESSION]]);
    const bad = await runCli(["run"], { env: { ...b.vars, CCP_CONTINUE: "sometimes" }, cwd: b.cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("CCP_CONTINUE must be ask, auto or off");
  });

  test("the transcript fallback picks the newest conversation written since the session began", () => {
    const dir = tempDir("cfg-");
    const cwd = "/work/my.project";
    const projects = join(dir, "projects", projectSlug(cwd));
    expect(projectSlug(cwd)).toBe("-work-my-project");
    mkdirSync(projects, { recursive: true });
    expect(transcriptSessionId(dir, cwd, Date.now())).toBeUndefined();
    writeFileSync(join(projects, "old.jsonl"), "{}");
    const { utimesSync } = require("node:fs") as typeof import("node:fs");
    utimesSync(
      join(projects, "old.jsonl"),
      new Date(Date.now() - 3_600_000),
      new Date(Date.now() - 3_600_000),
    );
    writeFileSync(join(projects, "new.jsonl"), "{}");
    writeFileSync(join(projects, "notes.txt"), "x");
    expect(transcriptSessionId(dir, cwd, Date.now() - 60_000)).toBe("new");
  });
});
