// The real claude in tmux: a session on an account the API then reports exhausted ends, the shim
// offers to continue, and accepting resumes the same conversation on the other account.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { CLI_ENTRY, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool, usagePayload } from "../helpers/pool.ts";
import { messageChains, readyForInteractive, realClaudeVars } from "../helpers/real-claude.ts";
import { type TmuxSession, killAllTmux, startTmux } from "../helpers/tmux.ts";

let fake: FakeAnthropic;
let pool: TestPool;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(fake, [
    { name: "work", util5Pct: 5, util7Pct: 10 },
    { name: "personal", util5Pct: 12, util7Pct: 20 },
  ]);
});
afterEach(() => killAllTmux());
afterAll(async () => {
  await fake.stop();
});

/** Types a prompt and submits it; Enter again if claude was not ready for the first one. */
async function submit(tmux: TmuxSession, text: string, answer: string | RegExp): Promise<void> {
  tmux.type(text);
  await Bun.sleep(300);
  for (let i = 0; i < 4; i++) {
    tmux.keys("Enter");
    try {
      await tmux.waitFor(answer, 8000);
      return;
    } catch {
      // Not submitted yet.
    }
  }
  await tmux.waitFor(answer, 20_000);
}

test("a session that hits its limit continues on the other account with claude --resume", async () => {
  const [work, personal] = pool.accounts as [TestPool["accounts"][0], TestPool["accounts"][0]];
  const hour = 3_600_000;
  const vars = realClaudeVars(pool, fake);
  expect((await runCli(["statusline", "install"], { env: vars })).code).toBe(0);
  const cwd = tempDir("project-");
  readyForInteractive(pool, cwd);
  fake.setMessageText("First answer from the fake API");
  const tmux = startTmux({ cmd: [process.execPath, CLI_ENTRY, "run"], env: vars, cwd, width: 140 });
  await tmux.waitFor("Selected work", 30_000);
  await tmux.waitFor("work · 5h 5%", 45_000);
  await submit(tmux, "remember the word pelican", "First answer from the fake API");

  // The window fills up: the next answer's headers say so, and so does the usage endpoint.
  fake.setRateLimits(work.token.accessToken, {
    util5Pct: 100,
    reset5AtMs: Date.now() + 2 * hour,
    util7Pct: 40,
    reset7AtMs: Date.now() + 3 * 24 * hour,
    status: "allowed_warning",
  });
  fake.setUsage(work.token.accessToken, usagePayload(100, 40, 2 * hour));
  fake.setMessageText("Second answer near the limit");
  await submit(tmux, "and another thing", "work · 5h 100%");
  await submit(
    tmux,
    "/exit",
    /work@example\.com hit its 5h limit \(resets \d{1,2}:\d{2} [AP]M\)\. Continue on personal@example\.com \(5h 12% used\)\? \[Y\/n\]/,
  );
  fake.clearRequests();
  fake.setMessageText("Continued on the other account");
  tmux.keys("Enter");
  await tmux.waitFor("personal · 5h 12%", 45_000);
  // The resumed conversation is there: the first prompt shows again.
  await tmux.waitFor((s) => s.split("remember the word pelican").length >= 3, 20_000);
  await submit(tmux, "go on", "Continued on the other account");
  expect(new Set(messageChains(fake))).toEqual(new Set([personal.token.chainId]));

  const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
  try {
    const rows = db
      .query<{ id: number; account_id: number; cwd: string }, []>(
        "SELECT id, account_id, cwd FROM sessions WHERE kind = 'run' ORDER BY id",
      )
      .all();
    expect(rows.map((r) => [r.account_id, r.cwd])).toEqual([
      [work.id, cwd],
      [personal.id, cwd],
    ]);
    const ids = rows.map(
      (r) =>
        db
          .query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?")
          .get(`claude_session:${r.id}`)?.value,
    );
    // Resumed, not restarted: the second launch reports the same conversation.
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toBe(ids[0]);
  } finally {
    db.close();
  }
  await submit(tmux, "/exit", /\[ccp exited \d+\]/);
  expect(await tmux.waitForExit(30_000)).toBe(0);
}, 240_000);
