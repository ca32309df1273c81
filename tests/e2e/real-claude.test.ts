// End to end with the real Claude Code CLI (npm package @anthropic-ai/claude-code) talking to the
// fake Anthropic server: the launched claude must send the selected account's bearer token.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { REPO_ROOT, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool, usagePayload } from "../helpers/pool.ts";

const CLAUDE = realpathSync(join(REPO_ROOT, "node_modules/.bin/claude"));
const REPLY = "Pooled hello from the fake API";

let fake: FakeAnthropic;
let pool: TestPool;
let vars: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  fake.setMessageText(REPLY);
  pool = await makePool(fake, [
    { name: "heavy", util5Pct: 80, util7Pct: 60 },
    { name: "light", util5Pct: 5, util7Pct: 10 },
    { name: "medium", util5Pct: 45, util7Pct: 30 },
  ]);
  vars = {
    ...pool.vars,
    CCP_CLAUDE_BIN: CLAUDE,
    ANTHROPIC_BASE_URL: fake.url,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
  };
});
afterAll(async () => {
  await fake.stop();
});

function messageCallers(): Array<string | null> {
  return fake.requests
    .filter(
      (r) => r.path.startsWith("/v1/messages") && r.method === "POST" && !r.path.includes("count_tokens"),
    )
    .map((r) => r.chainId);
}

function chainOf(name: string): string {
  return pool.accounts.find((a) => a.name === name)?.token.chainId as string;
}

describe("ccp run with the real claude", () => {
  const cwd = tempDir("project-");

  test("ccp -p sends the emptiest account's token to the API and prints the answer", async () => {
    fake.clearRequests();
    const r = await runCli(["-p", "hello"], { env: vars, cwd, timeoutMs: 90_000 });
    expect(r.stderr).toContain("Selected light");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(REPLY);
    const callers = messageCallers();
    expect(callers.length).toBeGreaterThan(0);
    expect(new Set(callers)).toEqual(new Set([chainOf("light")]));
  }, 120_000);

  test("a second launch from the same directory is pinned", async () => {
    fake.clearRequests();
    const r = await runCli(["-p", "again"], { env: vars, cwd, timeoutMs: 90_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Reusing light (pinned)");
    expect(new Set(messageCallers())).toEqual(new Set([chainOf("light")]));
  }, 120_000);

  test("CCP_ACCOUNT overrides the choice", async () => {
    fake.clearRequests();
    const r = await runCli(["-p", "forced"], {
      env: { ...vars, CCP_ACCOUNT: "medium" },
      cwd,
      timeoutMs: 90_000,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(REPLY);
    expect(new Set(messageCallers())).toEqual(new Set([chainOf("medium")]));
  }, 120_000);

  test("when the pinned account fills up and the pin expires, the next launch moves", async () => {
    fake.setUsage(pool.accounts[1]?.token.accessToken as string, usagePayload(97, 50));
    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    // Age the cached samples (so the launch samples again) and the pin (an hour has passed).
    db.run("UPDATE usage_samples SET taken_at_ms = taken_at_ms - 120000");
    db.run("UPDATE account_usage SET newest_at_ms = newest_at_ms - 120000, good_at_ms = good_at_ms - 120000");
    db.run("UPDATE pins SET updated_at_ms = updated_at_ms - 7200000");
    db.close();
    fake.clearRequests();
    const r = await runCli(["-p", "moved"], { env: vars, cwd, timeoutMs: 90_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Selected medium");
    expect(new Set(messageCallers())).toEqual(new Set([chainOf("medium")]));
  }, 120_000);

  test("CLAUDE_CONFIG_DIR=$(ccp select) claude -p works the same way", async () => {
    const selected = await runCli(["select"], { env: vars, cwd: tempDir() });
    expect(selected.code).toBe(0);
    const dir = selected.stdout.trim();
    expect(dir).toBe(pool.accounts[2]?.configDir as string);
    fake.clearRequests();
    const proc = Bun.spawn([CLAUDE, "-p", "composed"], {
      env: {
        ...vars,
        CLAUDE_CONFIG_DIR: dir,
        CLAUDE_CODE_PLUGIN_CACHE_DIR: join(pool.home, ".claude/plugins"),
      },
      cwd: tempDir(),
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out).toContain(REPLY);
    expect(new Set(messageCallers())).toEqual(new Set([chainOf("medium")]));
  }, 120_000);
});
