// The hot path never builds node's stdout/stderr streams (12–15 ms in a compiled binary): every
// command below runs with a preload that records each touch of process.stdout/process.stderr,
// and each load of consola, picocolors (colour is off here) or the prompt library.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_ENTRY, REPO_ROOT, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

const TRAP = join(REPO_ROOT, "tests/helpers/stream-trap.ts");

let fake: FakeAnthropic;
let pool: TestPool;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(fake, [
    { name: "alpha", util5Pct: 20, util7Pct: 30 },
    { name: "beta", util5Pct: 60, util7Pct: 10 },
  ]);
});
afterAll(async () => {
  await fake.stop();
});

async function touches(args: string[], extra: Record<string, string> = {}) {
  const trap = join(tempDir("trap-"), "touches.log");
  const r = await runCli(["--preload", TRAP, CLI_ENTRY, ...args], {
    bin: process.execPath,
    env: { ...pool.vars, CCP_STREAM_TRAP: trap, ...extra },
  });
  return { ...r, touched: existsSync(trap) ? readFileSync(trap, "utf8") : "" };
}

describe("hot path: no stream start-up", () => {
  const cases: Array<[string, string[], Record<string, string>?]> = [
    ["--version", ["--version"]],
    ["help", ["help"]],
    ["help select", ["help", "select"]],
    ["select (samples live)", ["select"]],
    ["select --json", ["select", "--json"]],
    ["env", ["env"]],
    ["status --plain", ["status", "--plain"]],
    ["completion account lookup", ["completion", "--accounts"]],
    ["run up to the spawn and after", ["run", "--print", "x"], { CCP_CLAUDE_BIN: "/bin/true" }],
    ["statusline", ["statusline"]],
  ];
  test("a command off the hot path, with colour on, does load consola and picocolors (the trap works)", async () => {
    const r = await touches(["frobnicate"], { NO_COLOR: "", FORCE_COLOR: "1" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command "frobnicate"');
    expect(r.touched).toContain("loaded consola/");
    expect(r.touched).toContain("loaded picocolors/");
    expect(r.touched).not.toContain("process.std");
  });
  for (const [label, args, extra] of cases) {
    test(label, async () => {
      const r = await touches(args, extra);
      expect(r.touched).toBe("");
      // The command still did its job through the output module.
      expect(r.stderr).not.toContain("error:");
      expect(r.code).toBe(0);
      if (label.startsWith("select (")) expect(r.stdout.trim()).toBe(pool.accounts[0]?.configDir as string);
      if (label === "--version") expect(r.stdout).toMatch(/^cc-pool \S+ \(\S+\)\n$/);
    });
  }
});
