// One workspace with the real Claude Code CLI (the pinned dev dependency), offline against the fake
// API: on a base plain claude never populated, history is shared from the first pooled launch,
// settings changed inside a pooled session reach ~/.claude.json and every account, identity and
// secrets never move, the legacy .config.json is never linked, and background sessions stay with
// their account.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { SHARED_BASE_DIRS } from "../../src/overlay/policy.ts";
import { reapTree, removeRuntimeDir, waitForSupervisor } from "../helpers/claude-bg.ts";
import { REPO_ROOT, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

const CLAUDE = realpathSync(join(REPO_ROOT, "node_modules/.bin/claude"));
const REPLY = "Noted, the word is safe with me.";
const BASE_API_KEY = "sk-ant-api03-BASE-CONSOLE-KEY-never-copied";
const BASE_USER_ID = "b".repeat(64);
const BASE_MACHINE_ID = "c".repeat(64);
const BASE_USAGE_MARK = "base-usage-cache-5f1c";
const BASE_LEGACY_CONFIG = JSON.stringify({ oauthAccount: { emailAddress: "legacy@example.com" } });
const BASE_CREDENTIAL = JSON.stringify({
  claudeAiOauth: { accessToken: "sk-ant-oat01-base-only", refreshToken: "sk-ant-ort01-base-only" },
});

let fake: FakeAnthropic;
let pool: TestPool;
let vars: Record<string, string>;
let cwd: string;
let wrapperDir: string;

function sha(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function baseJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(pool.home, ".claude.json"), "utf8"));
}

function accountJson(name: string): Record<string, unknown> {
  const dir = pool.accounts.find((a) => a.name === name)?.configDir as string;
  return JSON.parse(readFileSync(join(dir, ".claude.json"), "utf8"));
}

function dirOf(name: string): string {
  return pool.accounts.find((a) => a.name === name)?.configDir as string;
}

function chainOf(name: string): string {
  return pool.accounts.find((a) => a.name === name)?.token.chainId as string;
}

/** A base plain claude never populated: a login, a legacy .config.json, no shared dirs. */
function freshBase(home: string): void {
  const base = join(home, ".claude");
  mkdirSync(base, { mode: 0o700 });
  writeFileSync(join(base, ".credentials.json"), BASE_CREDENTIAL, { mode: 0o600 });
  writeFileSync(join(base, ".config.json"), BASE_LEGACY_CONFIG, { mode: 0o600 });
  // Left by plain claude's own background sessions: an account's must never append here.
  writeFileSync(join(base, "daemon.log"), "plain claude's daemon\n");
  mkdirSync(join(base, "jobs"));
  writeFileSync(join(base, "jobs", "pins.json"), "{}");
  writeFileSync(
    join(home, ".claude.json"),
    JSON.stringify(
      {
        numStartups: 5,
        theme: "dark",
        hasCompletedOnboarding: true,
        userID: BASE_USER_ID,
        machineID: BASE_MACHINE_ID,
        anonymousId: "claudecode.v1.base-anon",
        primaryApiKey: BASE_API_KEY,
        cachedUsageUtilization: { accountUuid: "base-uuid", mark: BASE_USAGE_MARK },
        oauthAccount: { accountUuid: "base-uuid", emailAddress: "me@example.com" },
        projects: {},
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
}

/** The base's login and identity, to compare byte for byte at the end. */
function sacredIdentity(): string {
  const json = baseJson();
  return JSON.stringify({
    credential: sha(join(pool.home, ".claude", ".credentials.json")),
    legacy: sha(join(pool.home, ".claude", ".config.json")),
    oauthAccount: json.oauthAccount,
    userID: json.userID,
    machineID: json.machineID,
    anonymousId: json.anonymousId,
    primaryApiKey: json.primaryApiKey,
    cachedUsageUtilization: json.cachedUsageUtilization,
  });
}

let identityBefore: string;

async function ccp(args: string[], account: string, extra: Record<string, string> = {}) {
  return runCli(args, { env: { ...vars, CCP_ACCOUNT: account, ...extra }, cwd, timeoutMs: 90_000 });
}

beforeAll(async () => {
  fake = await startFakeAnthropic();
  fake.setMessageText(REPLY);
  pool = await makePool(
    fake,
    [
      { name: "alpha", util5Pct: 5, util7Pct: 5 },
      { name: "beta", util5Pct: 50, util7Pct: 50 },
    ],
    {},
    { makeBase: freshBase },
  );
  // As an older cc-pool left it: accounts made on a base without the shared dirs.
  for (const name of SHARED_BASE_DIRS) {
    rmSync(join(pool.home, ".claude", name), { recursive: true, force: true });
    for (const a of pool.accounts) rmSync(join(a.configDir, name), { force: true });
  }
  cwd = realpathSync(tempDir("project-"));
  // The session itself changes a setting kept in .claude.json (as `/theme` did before Claude Code
  // moved it to settings.json; interactive-settings.test.ts covers 2.1.332's /theme): a wrapper runs
  // the real claude, then rewrites its config the way claude does (under its lock, temp + rename).
  wrapperDir = tempDir("wrap-");
  const wrapper = join(wrapperDir, "claude");
  writeFileSync(
    wrapper,
    `#!/bin/sh
"${CLAUDE}" "$@"; rc=$?
if [ -n "$SET_THEME" ]; then
  "${process.execPath}" -e '
    const fs = require("node:fs"); const p = process.env.CLAUDE_CONFIG_DIR + "/.claude.json";
    fs.mkdirSync(p + ".lock"); const c = JSON.parse(fs.readFileSync(p, "utf8"));
    c.theme = process.env.SET_THEME; fs.writeFileSync(p + ".tmp.1", JSON.stringify(c, null, 2), { mode: 0o600 });
    fs.renameSync(p + ".tmp.1", p); fs.rmdirSync(p + ".lock");'
fi
exit $rc
`,
  );
  chmodSync(wrapper, 0o755);
  vars = {
    ...pool.vars,
    CCP_CLAUDE_BIN: wrapper,
    ANTHROPIC_BASE_URL: fake.url,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
  };
  identityBefore = sacredIdentity();
});
afterAll(async () => {
  await fake.stop();
});

describe("one workspace with the real claude", () => {
  test("on a fresh base, a session on alpha and --continue on beta share one conversation", async () => {
    const first = await ccp(["-p", "Remember the word PINEAPPLE."], "alpha");
    expect(first.stderr).toContain("alpha");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(REPLY);
    // The transcript went into the base, through the account's link.
    const slug = cwd.replaceAll("/", "-");
    const transcripts = readdirSync(join(pool.home, ".claude", "projects", slug)).filter((n) =>
      n.endsWith(".jsonl"),
    );
    expect(transcripts).toHaveLength(1);
    for (const name of ["projects", "sessions"]) {
      expect(lstatSync(join(dirOf("alpha"), name)).isSymbolicLink()).toBe(true);
    }

    fake.clearRequests();
    const second = await ccp(["-p", "--continue", "Which word was it?"], "beta");
    expect(second.code).toBe(0);
    const sent = fake.requests.filter((r) => r.path === "/v1/messages" && r.chainId === chainOf("beta"));
    expect(sent.length).toBeGreaterThan(0);
    const texts = sent.flatMap((r) => r.messageTexts ?? []);
    expect(texts.some((t) => t.includes("Remember the word PINEAPPLE."))).toBe(true);
    expect(texts.some((t) => t.includes("Which word was it?"))).toBe(true);
    expect(texts.some((t) => t.includes(REPLY))).toBe(true);
    // No account grew a real copy of a shared dir.
    for (const a of pool.accounts) {
      for (const name of readdirSync(a.configDir)) {
        if (SHARED_BASE_DIRS.includes(name))
          expect(lstatSync(join(a.configDir, name)).isSymbolicLink()).toBe(true);
      }
    }
  }, 180_000);

  test("a theme and a user MCP server set inside pooled sessions reach ~/.claude.json and every account", async () => {
    const mcp = await ccp(
      ["run", "mcp", "add", "-s", "user", "pooled-tools", "--", "/bin/true", "--serve"],
      "alpha",
    );
    expect(mcp.code).toBe(0);
    const session = await ccp(["-p", "hello"], "alpha", { SET_THEME: "light" });
    expect(session.code).toBe(0);

    const base = baseJson();
    expect(base.theme).toBe("light");
    expect((base.mcpServers as Record<string, unknown>)["pooled-tools"]).toMatchObject({
      command: "/bin/true",
    });

    // beta gets both at its next launch, and its session does not revert them.
    const onBeta = await ccp(["-p", "hello from beta"], "beta");
    expect(onBeta.code).toBe(0);
    for (const name of ["alpha", "beta"]) {
      const config = accountJson(name);
      expect(config.theme).toBe("light");
      expect(Object.keys(config.mcpServers as Record<string, unknown>)).toContain("pooled-tools");
    }
    // And alpha's next launch keeps them too.
    expect((await ccp(["-p", "again"], "alpha")).code).toBe(0);
    expect(accountJson("alpha").theme).toBe("light");
    expect(baseJson().theme).toBe("light");
    expect(Object.keys(baseJson().mcpServers as Record<string, unknown>)).toContain("pooled-tools");
  }, 240_000);

  test("an account's background session never writes the base's daemon.log or jobs/", async () => {
    // --bg refuses an untrusted folder; trust it the way a user would, once, in the base.
    const path = join(pool.home, ".claude.json");
    const config = baseJson();
    (config.projects as Record<string, unknown>)[cwd] = { hasTrustDialogAccepted: true };
    writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
    const logBefore = sha(join(pool.home, ".claude", "daemon.log"));
    const jobsBefore = readdirSync(join(pool.home, ".claude", "jobs")).sort();
    const dir = dirOf("alpha");
    let supervisor: number | undefined;
    try {
      const bg = await ccp(["--bg", "say hi"], "alpha");
      expect(bg.code).toBe(0);
      supervisor = await waitForSupervisor(dir);
      for (const name of ["daemon", "daemon.log", "daemon.status.json", "daemon.lock", "jobs"]) {
        expect({ name, link: lstatSync(join(dir, name)).isSymbolicLink() }).toEqual({ name, link: false });
      }
      expect(sha(join(pool.home, ".claude", "daemon.log"))).toBe(logBefore);
      expect(readdirSync(join(pool.home, ".claude", "jobs")).sort()).toEqual(jobsBefore);
      expect(existsSync(join(pool.home, ".claude", "daemon.status.json"))).toBe(false);
      expect(existsSync(join(pool.home, ".claude", "daemon"))).toBe(false);
      // The session belongs to alpha: alpha's claude lists it, plain claude on ~/.claude does not.
      const id = /backgrounded · ([0-9a-f]+)/.exec(bg.stdout)?.[1];
      expect(id).toBeDefined();
      expect(await agents({ ...vars, CLAUDE_CONFIG_DIR: dir })).toContain(id as string);
      const plainEnv = { ...vars };
      delete plainEnv.CLAUDE_CONFIG_DIR;
      // Plain claude rewrites its own legacy .config.json when it starts: check what cc-pool did
      // so far, then take that as the new baseline.
      expect(sacredIdentity()).toBe(identityBefore);
      expect(await agents(plainEnv)).not.toContain(id as string);
      identityBefore = sacredIdentity();

      // The prompt history the background session started in alpha's dir joins the base's (there
      // was none) at the next launch, and is linked from then on.
      const historyDeadline = Date.now() + 30_000;
      while (!existsSync(join(dir, "history.jsonl")) && Date.now() < historyDeadline) await Bun.sleep(100);
      expect(lstatSync(join(dir, "history.jsonl")).isFile()).toBe(true);
      expect(existsSync(join(pool.home, ".claude", "history.jsonl"))).toBe(false);
      expect((await ccp(["-p", "after the background session"], "alpha")).code).toBe(0);
      expect(lstatSync(join(dir, "history.jsonl")).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(pool.home, ".claude", "history.jsonl"), "utf8")).toContain("say hi");
    } finally {
      if (supervisor !== undefined) reapTree(supervisor);
      removeRuntimeDir(dir);
    }
  }, 120_000);

  test("the base login and identity are byte-identical; no account holds the base's secrets or ids", () => {
    expect(sacredIdentity()).toBe(identityBefore);
    expect(readFileSync(join(pool.home, ".claude", ".credentials.json"), "utf8")).toBe(BASE_CREDENTIAL);
    for (const a of pool.accounts) {
      const legacy = lstatSync(join(a.configDir, ".config.json"), { throwIfNoEntry: false });
      expect(legacy?.isSymbolicLink() ?? false).toBe(false);
      for (const file of realFiles(a.configDir)) {
        const text = readFileSync(file, "latin1");
        for (const secret of [
          BASE_API_KEY,
          BASE_USER_ID,
          BASE_MACHINE_ID,
          BASE_USAGE_MARK,
          "sk-ant-oat01-base-only",
        ]) {
          expect({ file, leaked: text.includes(secret) }).toEqual({ file, leaked: false });
        }
      }
    }
    // The base's Console key never reached the API either.
    expect(fake.requests.some((r) => r.apiKeySent)).toBe(false);
  });
});

/** `claude agents --json` in the given environment: the ids of the background sessions it lists. */
async function agents(env: Record<string, string>): Promise<string[]> {
  const proc = Bun.spawn([CLAUDE, "agents", "--json"], { env, cwd, stdout: "pipe", stderr: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  return (JSON.parse(out) as Array<{ id: string }>).map((a) => a.id);
}

/** Every regular file under an account dir, without following links into the base. */
function realFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...realFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
