// A machine where plain claude never ran: no ~/.claude at all. The first `ccp run` creates it with
// its shared folders and links them, so the accounts share history from the first session.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SHARED_BASE_DIRS } from "../../src/overlay/policy.ts";
import { runCli } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

describe("ccp run on a machine without ~/.claude", () => {
  test("creates ~/.claude (0700) with the shared folders and links them into the account", async () => {
    const pool = await makePool(
      fake,
      [{ name: "work", util5Pct: 5 }],
      { PATH: pathWith(standInClaudeDir()) },
      {
        makeBase: () => {},
      },
    );
    const base = join(pool.home, ".claude");
    // As an older cc-pool left it: accounts made while ~/.claude did not exist.
    rmSync(base, { recursive: true, force: true });
    const dir = pool.accounts[0]?.configDir as string;
    for (const name of SHARED_BASE_DIRS) rmSync(join(dir, name), { force: true });

    const r = await runCli(["run", "-p", "x"], { env: pool.vars });

    expect(r.code).toBe(0);
    expect(lstatSync(base).mode & 0o777).toBe(0o700);
    expect(readdirSync(base).sort()).toEqual([...SHARED_BASE_DIRS].sort());
    for (const name of SHARED_BASE_DIRS) expect(readlinkSync(join(dir, name))).toBe(join(base, name));
    expect(existsSync(join(pool.home, ".claude.json"))).toBe(false);
  });
});
