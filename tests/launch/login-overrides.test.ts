// Every login override of claude-code.md §6 gets a warning from `ccp run` naming its source (never
// its value), CLAUDE_SECURESTORAGE_CONFIG_DIR never reaches claude, and `ccp doctor --json` lists
// the same findings.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DoctorReport } from "../../src/app/doctor.ts";
import { findLoginOverrides } from "../../src/app/login-overrides.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let pool: TestPool;
let claudeDir: string;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  claudeDir = standInClaudeDir();
  pool = await makePool(fake, [{ name: "work", util5Pct: 10, util7Pct: 10 }], { PATH: pathWith(claudeDir) });
});
afterAll(async () => {
  await fake.stop();
});

const SECRET = "sk-ant-api03-do-not-print-me";

const ENV_CASES: Array<[string, string]> = [
  ["ANTHROPIC_API_KEY", SECRET],
  ["ANTHROPIC_AUTH_TOKEN", SECRET],
  ["CLAUDE_CODE_OAUTH_TOKEN", SECRET],
  ["CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR", "3"],
  ["CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR", "4"],
  ["ANTHROPIC_PROFILE", "work-profile"],
  ["ANTHROPIC_FEDERATION_RULE_ID", "rule-1"],
  ["CLAUDE_CODE_USE_BEDROCK", "1"],
  ["CLAUDE_CODE_USE_VERTEX", "true"],
  ["CLAUDE_CODE_USE_FOUNDRY", "1"],
];

function account() {
  return pool.accounts[0] as (typeof pool.accounts)[number];
}

async function run(env: Record<string, string>) {
  const record = join(tempDir(), "rec.jsonl");
  const r = await runCli(["run", "-p", "x"], { env: { ...pool.vars, FAKE_CLAUDE_RECORD: record, ...env } });
  const lines = existsSync(record) ? readFileSync(record, "utf8").trim().split("\n") : [];
  const child =
    lines.length > 0 ? (JSON.parse(lines[0] as string) as { env: Record<string, string> }) : undefined;
  return { ...r, child };
}

describe("ccp run warns about every login override", () => {
  test.each(ENV_CASES)("%s in the environment", async (name, value) => {
    const r = await run({ [name]: value });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${name} is set: this session will`);
    expect(r.stderr).toContain("not work@example.com's subscription");
    expect(r.stderr).not.toContain(SECRET);
    // Passed through: the user asked for it, cc-pool only says what it does.
    expect(r.child?.env[name]).toBe(value);
  });

  test("switches set to 0 or false are not overrides", async () => {
    const r = await run({ CLAUDE_CODE_USE_BEDROCK: "0", CLAUDE_CODE_USE_VERTEX: "false" });
    expect(r.stderr).not.toContain("CLAUDE_CODE_USE_");
  });

  test("CLAUDE_SECURESTORAGE_CONFIG_DIR is removed from claude's environment, with a note", async () => {
    const other = tempDir("other-login-");
    const r = await run({ CLAUDE_SECURESTORAGE_CONFIG_DIR: other });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("CLAUDE_SECURESTORAGE_CONFIG_DIR is set");
    expect(r.stderr).toContain("removed it from the session's environment");
    expect(r.child).toBeDefined();
    expect(r.child?.env.CLAUDE_SECURESTORAGE_CONFIG_DIR).toBeUndefined();
    expect(r.child?.env.CLAUDE_CONFIG_DIR).toBe(account().configDir);
  });

  test("apiKeyHelper and env tokens in the shared settings.json, primaryApiKey in the account's .claude.json", async () => {
    const settingsPath = join(pool.home, ".claude", "settings.json");
    const settingsBefore = readFileSync(settingsPath, "utf8");
    const configPath = join(account().configDir, ".claude.json");
    const configBefore = readFileSync(configPath, "utf8");
    try {
      writeFileSync(
        settingsPath,
        JSON.stringify({
          apiKeyHelper: "~/bin/print-key",
          env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_AUTH_TOKEN: SECRET, CLAUDE_CODE_OAUTH_TOKEN: SECRET },
        }),
      );
      writeFileSync(
        configPath,
        JSON.stringify({
          ...JSON.parse(configBefore),
          primaryApiKey: SECRET,
          apiKeyHelper: "~/bin/other-key",
          env: { ANTHROPIC_AUTH_TOKEN: SECRET },
        }),
      );
      const r = await run({});
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(
        "settings.json apiKeyHelper: this session will use the API key it prints, not work@example.com's subscription",
      );
      for (const name of ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"]) {
        expect(r.stderr).toContain(`settings.json env.${name}: this session will use that token`);
      }
      expect(r.stderr).toContain(".claude.json primaryApiKey: this session will use that Console API key");
      expect(r.stderr).toContain(".claude.json apiKeyHelper: this session will use the API key it prints");
      expect(r.stderr).toContain(".claude.json env.ANTHROPIC_AUTH_TOKEN: this session will use that token");
      expect(r.stderr).not.toContain(SECRET);

      const doctor = await runCli(["doctor", "--json"], {
        env: { ...pool.vars, ANTHROPIC_API_KEY: SECRET, CLAUDE_SECURESTORAGE_CONFIG_DIR: "/elsewhere" },
      });
      expect(doctor.stdout).not.toContain(SECRET);
      const report = JSON.parse(doctor.stdout) as DoctorReport;
      const overrides = report.findings.filter((f) => f.check === "login-override");
      const sources = overrides.map((f) => `${f.account?.id ?? "-"} ${f.status} ${f.message.split(":")[0]}`);
      expect(sources.sort()).toEqual(
        [
          "- problem ANTHROPIC_API_KEY (environment)",
          "- info CLAUDE_SECURESTORAGE_CONFIG_DIR is set",
          "- problem settings.json apiKeyHelper",
          "- problem settings.json env.ANTHROPIC_API_KEY",
          "- problem settings.json env.ANTHROPIC_AUTH_TOKEN",
          "- problem settings.json env.CLAUDE_CODE_OAUTH_TOKEN",
          `${account().id} problem .claude.json primaryApiKey`,
          `${account().id} problem .claude.json apiKeyHelper`,
          `${account().id} problem .claude.json env.ANTHROPIC_AUTH_TOKEN`,
        ].sort(),
      );
      expect(doctor.code).toBe(1);
      expect(overrides.every((f) => f.fix !== null)).toBe(true);
    } finally {
      writeFileSync(settingsPath, settingsBefore);
      writeFileSync(configPath, configBefore);
    }
  });

  test("a clean environment and settings produce no override warning", async () => {
    const r = await run({});
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("is set:");
    expect(findLoginOverrides({ env: {}, configDir: account().configDir })).toEqual([]);
  });
});
