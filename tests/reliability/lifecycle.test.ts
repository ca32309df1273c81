// The two guarantees over a whole life of a pool: ~/.claude and ~/.claude.json are byte-for-byte
// the same after init, add, list, select, run, status, env, rename, doctor, doctor --fix, remove
// and service uninstall --purge; and a ccp run whose terminal goes away still checks in.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { baseEnv, runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";
import { makeBase, snapshotSacred } from "../helpers/sacred.ts";
import { killAllTmux, startTmux } from "../helpers/tmux.ts";

let fake: FakeAnthropic;
let claudeDir: string;
const summary: string[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
  claudeDir = standInClaudeDir();
});
afterEach(() => killAllTmux());
afterAll(async () => {
  await fake.stop();
  for (const line of summary) console.log(line);
});

describe("the sacred base over a pool's whole life", () => {
  test("every command leaves ~/.claude and ~/.claude.json byte-identical", async () => {
    const home = join(tempDir("life-"), "home");
    mkdirSync(home, { recursive: true });
    makeBase(home, { plans: true });
    const before = snapshotSacred(home);
    const env = {
      HOME: home,
      CCP_HOME: join(home, ".cc-pool"),
      PATH: pathWith(claudeDir),
      SHELL: "/bin/zsh",
      CCP_USAGE_URL: fake.usageUrl,
      CCP_TOKEN_URL: fake.tokenUrl,
    };
    const steps: string[][] = [
      ["init", "--no-service"],
      ["add", "--yes", "--run-login", "--label", "one", "--no-alias"],
      ["add", "--yes", "--run-login", "--label", "two", "--no-alias"],
      ["list", "--json"],
      ["select"],
      ["run", "-p", "hi"],
      ["status", "--plain"],
      ["status", "--json"],
      ["env"],
      ["rename", "2", "second"],
      ["rename", "--auto", "--force"],
      ["doctor"],
      ["doctor", "--fix"],
      ["remove", "2"],
      ["service", "status"],
      ["service", "uninstall", "--purge", "--force"],
    ];
    const cwd = tempDir("proj-");
    const failed: string[] = [];
    for (const args of steps) {
      const r = await runCli(args, { env, cwd });
      // doctor may report information-only findings; everything else must succeed.
      if (r.code !== 0) failed.push(`${args.join(" ")}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      if (snapshotSacred(home) !== before) failed.push(`${args.join(" ")} changed the base`);
    }
    expect(failed).toEqual([]);
    expect(snapshotSacred(home)).toBe(before);
    expect(existsSync(join(home, ".cc-pool"))).toBe(false);
    summary.push(
      `sacred base: ${steps.length} commands over a pool's life, base identical after each, ${failed.length} failures`,
    );
  }, 120_000);
});

describe("a terminal that goes away", () => {
  test("ccp run survives to check in: claude is ended and the session row is closed", async () => {
    const pool = await makePool(fake, [{ name: "only", util5Pct: 10, util7Pct: 10 }], {
      PATH: pathWith(claudeDir),
    });
    const ready = join(tempDir(), "ready");
    const session = startTmux({
      cmd: [process.execPath, join(import.meta.dir, "../../src/cli.ts"), "run"],
      env: baseEnv({ ...pool.vars, FAKE_CLAUDE_READY: ready, FAKE_CLAUDE_SLEEP_MS: "30000", TERM: "xterm" }),
      cwd: tempDir(),
    });
    for (let i = 0; i < 200 && !existsSync(ready); i++) await Bun.sleep(50);
    const claudePid = Number(readFileSync(ready, "utf8"));
    expect(claudePid).toBeGreaterThan(0);
    // Closing the terminal: the tmux server goes, and its pane's processes get SIGHUP.
    Bun.spawnSync(["tmux", "-L", session.socket, "kill-server"]);
    const closed = async () => {
      const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
      try {
        return db
          .query<{ ended: number | null; exit_code: number | null }, []>(
            "SELECT ended_at_ms AS ended, exit_code FROM sessions",
          )
          .get();
      } finally {
        db.close();
      }
    };
    let row = await closed();
    for (let i = 0; i < 100 && row?.ended == null; i++) {
      await Bun.sleep(50);
      row = await closed();
    }
    expect(row?.ended).not.toBeNull();
    expect(row?.exit_code).toBe(129);
    let alive = true;
    try {
      process.kill(claudePid, 0);
    } catch {
      alive = false;
    }
    if (alive) process.kill(claudePid, "SIGKILL");
    expect(alive).toBe(false);
    summary.push("terminal gone: SIGHUP reached claude, the session row closed with 129");
  }, 60_000);
});
