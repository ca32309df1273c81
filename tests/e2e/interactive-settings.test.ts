// The real claude, interactive in tmux, through `ccp run`: a theme picked with /theme inside a
// pooled session is the theme of the next account's session and of plain claude, and survives that
// session; the prompt typed lands in the shared history. Nothing of the base's identity changes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { classifyEntry } from "../../src/overlay/policy.ts";
import { CLI_ENTRY, REPO_ROOT, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";
import { killAllTmux, startTmux } from "../helpers/tmux.ts";

const CLAUDE = realpathSync(join(REPO_ROOT, "node_modules/.bin/claude"));
const REPLY = "Interactive hello from the fake API";
const IDENTITY_KEYS = ["oauthAccount", "userID", "anonymousId", "machineID", "firstStartTime"];

let fake: FakeAnthropic;
let pool: TestPool;
let cwd: string;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  fake.setMessageText(REPLY);
  pool = await makePool(fake, [
    { name: "alpha", util5Pct: 5, util7Pct: 5 },
    { name: "beta", util5Pct: 50, util7Pct: 50 },
  ]);
  cwd = realpathSync(tempDir("project-"));
  // The folder was trusted once in plain claude, so no trust dialog stands in the way.
  const path = join(pool.home, ".claude.json");
  const config = JSON.parse(readFileSync(path, "utf8"));
  config.projects[cwd] = { hasTrustDialogAccepted: true };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
});
afterAll(async () => {
  killAllTmux();
  await fake.stop();
});

function baseJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(pool.home, ".claude.json"), "utf8"));
}

/** The theme plain claude and every account see: settings.json's, else ~/.claude.json's. */
function theme(): unknown {
  const settings = JSON.parse(readFileSync(join(pool.home, ".claude", "settings.json"), "utf8"));
  return settings.theme ?? baseJson().theme;
}

function session(account: string) {
  return startTmux({
    cmd: [process.execPath, CLI_ENTRY, "run"],
    cwd,
    env: {
      ...pool.vars,
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      TERM: "xterm-256color",
      CCP_ACCOUNT: account,
      CCP_CLAUDE_BIN: CLAUDE,
      ANTHROPIC_BASE_URL: fake.url,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
    },
  });
}

describe("settings changed in an interactive pooled session", () => {
  test("/theme on alpha is the theme beta and plain claude get; the prompt joins the shared history", async () => {
    const identity = JSON.stringify(IDENTITY_KEYS.map((k) => baseJson()[k]));
    expect(baseJson().theme).toBe("dark");

    const alpha = session("alpha");
    await alpha.waitFor("Claude Code v", 60_000);
    alpha.type("/theme");
    await alpha.waitFor("Change the theme");
    alpha.keys("Enter");
    await alpha.waitFor("Light mode");
    alpha.keys("Down");
    await alpha.waitFor(/❯\s+Light mode/);
    alpha.keys("Enter");
    await alpha.waitFor("Theme set to light");
    alpha.type("say hello to the pool");
    await alpha.waitFor(/❯\s+say hello to the pool/);
    alpha.keys("Enter");
    await alpha.waitFor(REPLY, 60_000);
    alpha.type("/exit");
    alpha.keys("Enter");
    expect(await alpha.waitForExit(60_000)).toBe(0);

    // Census of an interactive session: every entry it left in alpha's dir is a link into the base
    // or one the policy keeps private.
    const alphaDir = pool.accounts.find((a) => a.name === "alpha")?.configDir as string;
    const stray = readdirSync(alphaDir).filter(
      (name) => !lstatSync(join(alphaDir, name)).isSymbolicLink() && classifyEntry(name) !== "private",
    );
    expect(stray).toEqual([]);

    // Claude Code 2.1.332 keeps the theme in settings.json, which every account shares through its
    // link; older versions kept it in .claude.json, from which cc-pool writes it back at check-in.
    expect(theme()).toBe("light");
    expect(JSON.stringify(IDENTITY_KEYS.map((k) => baseJson()[k]))).toBe(identity);
    expect(readFileSync(join(pool.home, ".claude", "history.jsonl"), "utf8")).toContain(
      "say hello to the pool",
    );

    // beta starts with the theme and its session does not revert it.
    const beta = session("beta");
    await beta.waitFor("Claude Code v", 60_000);
    beta.type("/exit");
    beta.keys("Enter");
    expect(await beta.waitForExit(60_000)).toBe(0);
    expect(theme()).toBe("light");
  }, 240_000);
});
