// A bare `ccp select` skips the dispatcher (cli.ts → commands/select-run.ts); with any flag it
// goes through main.ts and the flag parser. `--fresh 60s` is the default spelled out, so the two
// forms must answer alike in every case: the same stdout, stderr and exit code.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_ENTRY, REPO_ROOT, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type AccountSpec, makePool, poolVars } from "../helpers/pool.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

interface Answer {
  code: number;
  stdout: string;
  stderr: string;
  /** Requests the command made to the Anthropic stand-in (live samples of stale accounts). */
  requests: number;
}

/** Runs both forms, each on its own copy of the situation, with that copy's home written <home>. */
async function bothForms(
  setUp: () => Promise<Record<string, string>>,
  extra: Record<string, string> = {},
): Promise<[Answer, Answer]> {
  const answers: Answer[] = [];
  for (const args of [["select"], ["select", "--fresh", "60s"]]) {
    const vars = { ...(await setUp()), ...extra };
    const before = fake.requests.length;
    const r = await runCli(args, { env: vars });
    const home = vars.HOME as string;
    const clean = (s: string): string => s.replaceAll(home, "<home>");
    answers.push({
      code: r.code,
      stdout: clean(r.stdout),
      stderr: clean(r.stderr),
      requests: fake.requests.length - before,
    });
  }
  return answers as [Answer, Answer];
}

const pool = (specs: AccountSpec[]) => async () => (await makePool(fake, specs)).vars;

describe("a bare `ccp select` answers exactly like the parsed command", () => {
  test("a pick, on usage sampled a moment ago (reused: fresh for 60 s)", async () => {
    const [bare, parsed] = await bothForms(async () => {
      const { vars } = await makePool(fake, [
        { name: "alpha", util5Pct: 70 },
        { name: "beta", util5Pct: 10 },
      ]);
      expect((await runCli(["status", "--live", "--plain"], { env: vars })).code).toBe(0);
      return vars;
    });
    expect(bare).toEqual(parsed);
    expect(bare.code).toBe(0);
    expect(bare.requests).toBe(0);
    expect(bare.stdout).toMatch(/^<home>\/\.cc-pool\/accounts\/.+\n$/);
  });

  test("every account exhausted: the fallback and its warning", async () => {
    const [bare, parsed] = await bothForms(
      pool([
        { name: "spent", util5Pct: 100 },
        { name: "also-spent", util5Pct: 100 },
      ]),
    );
    expect(bare).toEqual(parsed);
    expect(bare.stderr).toContain("Every account is exhausted");
  });

  test("no pool yet", async () => {
    const [bare, parsed] = await bothForms(async () => poolVars(tempDir("empty-"), fake));
    expect(bare).toEqual(parsed);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain("The pool is empty.");
  });

  test("CCP_ACCOUNT naming no account", async () => {
    const [bare, parsed] = await bothForms(pool([{ name: "alpha" }]), { CCP_ACCOUNT: "nobody" });
    expect(bare).toEqual(parsed);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain("nobody");
  });

  test("a bad environment variable", async () => {
    const [bare, parsed] = await bothForms(pool([{ name: "alpha" }]), { CCP_POLL_INTERVAL: "soon" });
    expect(bare).toEqual(parsed);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain("CCP_POLL_INTERVAL");
  });

  test("a database that is not one", async () => {
    const [bare, parsed] = await bothForms(async () => {
      const vars = poolVars(tempDir("notdb-"), fake);
      const home = vars.CCP_HOME as string;
      await Bun.write(join(home, "accounts", ".keep"), "");
      writeFileSync(join(home, "pool.db"), "not a database, just text that is long enough\n".repeat(4));
      return vars;
    });
    expect(bare).toEqual(parsed);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain("not an SQLite database");
  });
});

describe("the direct routes skip the dispatcher", () => {
  const TRAP = join(REPO_ROOT, "tests/helpers/dispatch-trap.ts");
  async function loads(args: string[], vars: Record<string, string>): Promise<string> {
    const log = join(tempDir("dispatch-"), "loads.log");
    const r = await runCli(["--preload", TRAP, CLI_ENTRY, ...args], {
      bin: process.execPath,
      env: { ...vars, CCP_DISPATCH_TRAP: log, CCP_CLAUDE_BIN: "/bin/true" },
    });
    expect(r.code).toBe(0);
    return existsSync(log) ? readFileSync(log, "utf8") : "";
  }

  test("a bare select and `ccp run` load neither main.ts nor the command table; a flag does", async () => {
    const { vars } = await makePool(fake, [{ name: "alpha" }]);
    expect(await loads(["select"], vars)).toBe("");
    expect(await loads(["run", "--print", "x"], vars)).toBe("");
    // The trap sees the dispatcher where it loads.
    const parsed = await loads(["select", "--fresh", "60s"], vars);
    expect(parsed).toContain("loaded src/main.ts");
    expect(parsed).toContain("loaded src/commands/registry.ts");
  });
});
