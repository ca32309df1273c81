// The census: run the pinned Claude Code CLI (package.json devDependency) on a fresh config dir,
// list the top-level entries it creates, and fail when one appears that the overlay policy does not
// classify. A new CLI version that adds a dir must be classified (shared: created in the base
// before the first launch; or private) before it is pinned, or history splits again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED_BASE_DIRS, classifyEntry } from "../../src/overlay/policy.ts";
import { reapTree, removeRuntimeDir, waitForSupervisor } from "../helpers/claude-bg.ts";
import { REPO_ROOT, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";

const CLAUDE = realpathSync(join(REPO_ROOT, "node_modules/.bin/claude"));
const PINNED = (
  JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  }
).devDependencies["@anthropic-ai/claude-code"];

let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

interface FreshDir {
  home: string;
  configDir: string;
  cwd: string;
}

/** A config dir holding only what `ccp add` leaves: a login and a seeded `.claude.json`. */
function freshDir(): FreshDir {
  const root = realpathSync(tempDir("census-"));
  const home = join(root, "home");
  const configDir = join(root, "config");
  const cwd = join(root, "project");
  for (const dir of [home, configDir, cwd]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const token = fake.issueToken({ label: "census" });
  writeFileSync(
    join(configDir, ".credentials.json"),
    JSON.stringify({
      claudeAiOauth: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: Date.now() + 365 * 24 * 3_600_000,
        scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
        subscriptionType: "max",
      },
    }),
    { mode: 0o600 },
  );
  writeFileSync(
    join(configDir, ".claude.json"),
    JSON.stringify({
      hasCompletedOnboarding: true,
      oauthAccount: { accountUuid: "census-uuid", emailAddress: "census@example.com" },
      projects: { [cwd]: { hasTrustDialogAccepted: true } },
    }),
    { mode: 0o600 },
  );
  return { home, configDir, cwd };
}

async function runClaude(dir: FreshDir, args: string[]): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([CLAUDE, ...args], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir.home,
      CLAUDE_CONFIG_DIR: dir.configDir,
      ANTHROPIC_BASE_URL: fake.url,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
    },
    cwd: dir.cwd,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stderr };
}

function unclassified(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => classifyEntry(name) === "unclassified")
    .sort();
}

describe(`census of a fresh config dir with Claude Code ${PINNED}`, () => {
  test("a print-mode session creates only entries the policy classifies", async () => {
    const dir = freshDir();
    const r = await runClaude(dir, ["-p", "hello"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const created = readdirSync(dir.configDir).sort();
    expect({ created, unclassified: unclassified(dir.configDir) }).toEqual({ created, unclassified: [] });
    // The shared dirs it creates at once are the ones cc-pool makes in the base beforehand.
    for (const name of created.filter((n) => classifyEntry(n) === "shared")) {
      expect(SHARED_BASE_DIRS).toContain(name);
    }
    expect(created).toContain("projects");
    expect(created).toContain("sessions");
    expect(classifyEntry("backups")).toBe("private");
  }, 120_000);

  test("a background session creates only entries the policy classifies, and all of them private", async () => {
    const dir = freshDir();
    const before = new Set(readdirSync(dir.configDir));
    let supervisor: number | undefined;
    try {
      const r = await runClaude(dir, ["--bg", "hello"]);
      expect(r.code).toBe(0);
      supervisor = await waitForSupervisor(dir.configDir);
      // Let the session get going so the files it writes while it runs are counted too.
      await Bun.sleep(1500);
      const created = readdirSync(dir.configDir).sort();
      expect({ created, unclassified: unclassified(dir.configDir) }).toEqual({ created, unclassified: [] });
      const background = created.filter((n) => n.startsWith("daemon") || n === "jobs");
      expect(background.length).toBeGreaterThan(0);
      for (const name of background)
        expect({ name, cls: classifyEntry(name) }).toEqual({ name, cls: "private" });
      for (const name of created.filter((n) => !before.has(n))) {
        expect({ name, cls: classifyEntry(name) }).not.toEqual({ name, cls: "unclassified" });
      }
    } finally {
      if (supervisor !== undefined) reapTree(supervisor);
      removeRuntimeDir(dir.configDir);
    }
  }, 120_000);

  test("the CLI also reads IDE lock files from ~/.claude/ide when CLAUDE_CONFIG_DIR is set (why ide/ stays private)", async () => {
    const bundle = Buffer.from(await Bun.file(CLAUDE).arrayBuffer());
    // The lock-file search path: `<config dir>/ide`, plus `~/.claude/ide` whenever the variable is set.
    const pattern =
      /if\(\w+\.CLAUDE_CONFIG_DIR\|\|\w+\.trim\(\)===""\)\w+\.push\(\w+\(\w+\.homedir\(\),"\.claude","ide"\)/;
    const at = bundle.indexOf('.homedir(),".claude","ide")');
    expect(at).toBeGreaterThan(0);
    expect(pattern.test(bundle.subarray(Math.max(0, at - 200), at + 40).toString("latin1"))).toBe(true);
    expect(classifyEntry("ide")).toBe("private");
  }, 60_000);
});
