// The real claude, interactive in tmux (its status line does not run in -p mode), with
// `ccp statusline` installed over the user's own status line.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { CLI_ENTRY, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";
import { messageChains, readyForInteractive, realClaudeVars } from "../helpers/real-claude.ts";
import { killAllTmux, startTmux } from "../helpers/tmux.ts";

let fake: FakeAnthropic;
let pool: TestPool;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(fake, [
    { name: "busy", util5Pct: 70, util7Pct: 60 },
    { name: "roomy", util5Pct: 5, util7Pct: 10 },
  ]);
});
afterEach(() => killAllTmux());
afterAll(async () => {
  await fake.stop();
});

test("claude runs ccp statusline: it shows the account, keeps the user's line, and records rate_limits", async () => {
  const roomy = pool.accounts[1]!;
  const hour = 3_600_000;
  // What the API's rate-limit headers say after the first answer (differs from the polled usage).
  fake.setRateLimits(roomy.token.accessToken, {
    util5Pct: 42,
    reset5AtMs: Date.now() + 2 * hour,
    util7Pct: 17,
    reset7AtMs: Date.now() + 3 * 24 * hour,
  });
  const dir = tempDir("mine-");
  const script = join(dir, "mine.sh");
  const seen = join(dir, "seen.jsonl");
  writeFileSync(script, `#!/bin/sh\ncat >> ${seen}\necho >> ${seen}\necho "MINE-LINE ok"\n`);
  chmodSync(script, 0o755);
  const settings = join(pool.home, ".claude/settings.json");
  const current = JSON.parse(readFileSync(settings, "utf8"));
  writeFileSync(settings, JSON.stringify({ ...current, statusLine: { type: "command", command: script } }));
  const vars = realClaudeVars(pool, fake);
  const installed = await runCli(["statusline", "install"], { env: vars });
  expect(installed.code).toBe(0);

  const cwd = tempDir("project-");
  readyForInteractive(pool, cwd);
  const tmux = startTmux({ cmd: [process.execPath, CLI_ENTRY, "run"], env: vars, cwd, width: 140 });
  await tmux.waitFor("Selected roomy", 30_000);
  // Before any answer: our part from the polled usage.
  await tmux.waitFor((s) => s.includes("MINE-LINE ok") && s.includes("roomy · 5h 5% · 7d 10%"), 45_000);
  tmux.type("hello there");
  tmux.keys("Enter");
  await tmux.waitFor("roomy · 5h 42% · 7d 17%", 45_000);
  const screen = tmux.screen();
  expect(screen).toContain("MINE-LINE ok");
  expect(screen).toMatch(/roomy · 5h 42% · 7d 17% · 5h resets \d{1,2}:\d{2} [AP]M/);
  expect(new Set(messageChains(fake))).toEqual(new Set([roomy.token.chainId]));

  const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
  try {
    const sample = db
      .query<{ util5_pct: number; util7_pct: number }, [number]>(
        "SELECT util5_pct, util7_pct FROM usage_samples WHERE account_id = ? ORDER BY id DESC LIMIT 1",
      )
      .get(roomy.id);
    expect(sample).toEqual({ util5_pct: 42, util7_pct: 17 });
    // The session id claude reported is tied to the launch (for continuing it elsewhere).
    const row = db
      .query<{ id: number }, []>("SELECT id FROM sessions WHERE kind = 'run' ORDER BY id DESC")
      .get();
    const stored = db
      .query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?")
      .get(`claude_session:${row?.id}`);
    const reported = JSON.parse(readFileSync(seen, "utf8").trim().split("\n").at(-1) as string).session_id;
    expect(stored?.value).toBe(reported);
  } finally {
    db.close();
  }
  // The user's own script got claude's payload unchanged.
  expect(readFileSync(seen, "utf8")).toContain('"rate_limits":{"five_hour":{"used_percentage":42');
}, 150_000);
