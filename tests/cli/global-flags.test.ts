import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { hoistGlobalFlags } from "../../src/main.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";

describe("global flags before a command name", () => {
  test("belong to ccp: `ccp --no-color status --plain` is status, not a claude launch", async () => {
    const record = join(tempDir(), "rec.jsonl");
    const vars = { PATH: pathWith(standInClaudeDir()), FAKE_CLAUDE_RECORD: record };
    const r = await runCli(["--no-color", "status", "--plain"], { env: vars });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("The pool is empty");
    expect(await Bun.file(record).exists()).toBe(false);
    const v = await runCli(["--verbose", "--no-color", "list", "--json"], { env: vars });
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toHaveProperty("accounts");
    expect(await Bun.file(record).exists()).toBe(false);
  });

  test("in front of anything else they still go to claude", () => {
    expect(hoistGlobalFlags(["--verbose", "-p", "x"])).toEqual(["--verbose", "-p", "x"]);
    expect(hoistGlobalFlags(["--verbose", "run", "-p"])).toEqual(["--verbose", "run", "-p"]);
    expect(hoistGlobalFlags(["--verbose"])).toEqual(["--verbose"]);
    expect(hoistGlobalFlags(["--verbose", "nosuch"])).toEqual(["--verbose", "nosuch"]);
    expect(hoistGlobalFlags(["--no-color", "--verbose", "status", "--plain"])).toEqual([
      "status",
      "--no-color",
      "--verbose",
      "--plain",
    ]);
  });

  test("`ccp help --help` and `ccp --no-color help status` print help", async () => {
    const a = await runCli(["help", "--help"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("ccp help");
    const b = await runCli(["--no-color", "help", "status"]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain("ccp status");
  });
});
