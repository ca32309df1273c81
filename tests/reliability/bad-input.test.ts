// Generated hostile and malformed invocations: every one must end with a clear message on stderr,
// exit code 1 or 2, no stack trace, nothing on stdout, and the database unchanged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { COMMANDS } from "../../src/commands/registry.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { dumpDb } from "../helpers/db-dump.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";
import { expectSacredUnchanged, snapshotSacred } from "../helpers/sacred.ts";

interface Case {
  args: string[];
  env?: Record<string, string>;
}

const LONG = "x".repeat(5000);
const HOSTILE_VALUES = [
  "",
  " ",
  "-1",
  "0",
  "999999",
  "../../etc/passwd",
  "/tmp/x",
  LONG,
  "💥🔥",
  "名前",
  "a\tb",
  "$(touch /tmp/pwned)",
  "acct-99",
];

function generateCases(): Case[] {
  const cases: Case[] = [];
  // Every command from the registry, so a new one is covered without touching this list; `run`
  // passes its arguments to claude and `help` has its own cases below.
  const commands = Object.keys(COMMANDS).filter((c) => c !== "run" && c !== "help");
  for (const c of commands) {
    cases.push(
      { args: [c, "--bogus"] },
      { args: [c, "--jsno"] },
      { args: [c, "-Z"] },
      { args: [c, "--verbose=maybe"] },
    );
  }
  for (const c of ["status", "select", "env", "list", "doctor", "init"])
    cases.push({ args: [c, "extra", "args"] });
  for (const v of ["", "soon", "-5s", "1y", "5 minutes", "1e99s", "NaN"])
    cases.push({ args: ["select", "--fresh", v] });
  for (const v of HOSTILE_VALUES) {
    cases.push(
      { args: ["select", "--account", v] },
      { args: ["env", "--account", v] },
      { args: ["remove", v] },
      { args: ["rename", v, "newname"] },
      { args: ["login", v] },
    );
  }
  for (const v of ["0", "-1", "abc", "51", "1.5", "", "1e3"])
    cases.push({ args: ["add", "--yes", "--count", v] });
  for (const v of ["", "../x", "a/b", "12", "acct-3", "y".repeat(65), "\u001b[31mred"]) {
    cases.push({ args: ["add", "--yes", "--label", v] }, { args: ["rename", "1", v] });
  }
  cases.push(
    { args: ["select", "--account"] },
    { args: ["rename", "1"] },
    { args: ["rename", "--auto", "1"] },
    { args: ["rename", "1", "x", "--force"] },
    { args: ["remove"] },
    { args: ["login"] },
    { args: ["login", "~/.claude"] },
    { args: ["service"] },
    { args: ["service", "explode"] },
    { args: ["help", "nosuch"] },
    { args: ["help", "select", "extra"] },
    { args: ["nosuchcommand"] },
    { args: ["add"] },
    { args: ["run"], env: { CCP_ACCOUNT: "no-such-account" } },
    { args: ["select"], env: { CCP_ACCOUNT: LONG } },
  );
  const hostileEnv: Array<Record<string, string>> = [
    { CCP_HOME: "relative/dir" },
    { CCP_USAGE_URL: "javascript:alert(1)" },
    { CCP_TOKEN_URL: "ftp://x" },
    { CCP_SECRET_STORE: "vault" },
    { CCP_POLL_INTERVAL: "-1s" },
    { CCP_POLL_INTERVAL: "fast" },
    { CCP_CLAUDE_BIN: "claude" },
    { CCP_SECURITY_LIB: "libSecurity.so" },
  ];
  for (const e of hostileEnv) for (const c of ["list", "select", "status"]) cases.push({ args: [c], env: e });
  return cases;
}

let fake: FakeAnthropic;
let pool: TestPool;
const failures: string[] = [];
let tried = 0;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(
    fake,
    [
      { name: "alpha", util5Pct: 10, util7Pct: 10 },
      { name: "beta", util5Pct: 20, util7Pct: 20 },
    ],
    { PATH: pathWith(standInClaudeDir()) },
  );
});
afterAll(async () => {
  await fake.stop();
  console.log(`bad input: ${tried} cases tried, ${failures.length} failures`);
});

describe("bad input", () => {
  test("every malformed or hostile invocation fails cleanly and changes nothing", async () => {
    const dbPath = join(pool.vars.CCP_HOME as string, "pool.db");
    const sacred = snapshotSacred(pool.home);
    const before = dumpDb(dbPath);
    const cases = generateCases();
    expect(cases.length).toBeGreaterThan(150);
    const cwd = tempDir("bad-");
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8);
      const results = await Promise.all(
        batch.map((c) => runCli(c.args, { env: { ...pool.vars, ...c.env }, cwd })),
      );
      results.forEach((r, k) => {
        const c = batch[k] as Case;
        tried++;
        const label = `${JSON.stringify(c.args).slice(0, 120)} ${JSON.stringify(c.env ?? {}).slice(0, 80)}`;
        const problems: string[] = [];
        if (r.code !== 1 && r.code !== 2) problems.push(`exit ${r.code}`);
        if (r.stdout !== "") problems.push(`stdout ${JSON.stringify(r.stdout.slice(0, 80))}`);
        if (r.stderr.trim() === "") problems.push("no message");
        if (/^\s+at .+:\d+/m.test(r.stderr)) problems.push("stack trace");
        if (/Unexpected error/.test(r.stderr)) problems.push(`unexpected error: ${r.stderr.slice(0, 200)}`);
        if (r.stderr.length > 2000) problems.push("message longer than 2000 characters");
        if (problems.length > 0) failures.push(`${label}: ${problems.join("; ")}`);
      });
    }
    expect(failures).toEqual([]);
    expect(dumpDb(dbPath)).toBe(before);
    expectSacredUnchanged(pool.home, sacred);
  }, 120_000);
});
