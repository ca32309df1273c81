// Damaged state on disk: each case gives a clear message naming the file and the fix, and nothing
// is overwritten.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED_BASE_DIRS } from "../../src/overlay/policy.ts";
import { SCHEMA_VERSION } from "../../src/store/migrations.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let claudeBin: string;
let cases = 0;
const failures: string[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
  claudeBin = standInClaudeDir();
});
afterAll(async () => {
  await fake.stop();
  console.log(`damaged state: ${cases} cases tried, ${failures.length} failures`);
});

async function freshPool(): Promise<TestPool> {
  return makePool(
    fake,
    [
      { name: "first", util5Pct: 10, util7Pct: 10 },
      { name: "second", util5Pct: 30, util7Pct: 30 },
    ],
    { PATH: pathWith(claudeBin) },
  );
}

function check(name: string, ok: boolean, detail: string): void {
  cases++;
  if (!ok) failures.push(`${name}: ${detail}`);
}

describe("damaged pool database", () => {
  const damage: Record<string, (path: string) => void> = {
    garbage: (p) => writeFileSync(p, Buffer.alloc(8192, 0x5a)),
    truncated: (p) => {
      const full = readFileSync(p);
      writeFileSync(p, full.subarray(0, Math.min(full.length - 1, 3000)));
    },
    "newer schema": (p) => {
      const db = new Database(p);
      db.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
    },
  };
  for (const [kind, apply] of Object.entries(damage)) {
    test(`${kind}: every command refuses clearly and leaves the file alone`, async () => {
      const pool = await freshPool();
      const dbPath = join(pool.vars.CCP_HOME as string, "pool.db");
      // Settle the WAL into the main file so the damage is what every command sees.
      const settle = new Database(dbPath);
      settle.run("PRAGMA wal_checkpoint(TRUNCATE)");
      settle.close();
      rmSync(`${dbPath}-wal`, { force: true });
      rmSync(`${dbPath}-shm`, { force: true });
      apply(dbPath);
      const before = readFileSync(dbPath);
      for (const args of [
        ["select"],
        ["run"],
        ["list"],
        ["env"],
        ["remove", "1"],
        ["rename", "1", "x"],
        ["add", "--yes"],
      ]) {
        const r = await runCli(args, { env: pool.vars });
        const label = `${kind} / ${args.join(" ")}`;
        check(label, r.code === 1, `exit ${r.code}: ${r.stderr}`);
        check(label, r.stderr.includes(dbPath), `message does not name the file: ${r.stderr}`);
        check(
          label,
          kind === "newer schema" ? /upgrade/i.test(r.stderr) : r.stderr.includes("ccp doctor"),
          `no fix named: ${r.stderr}`,
        );
        check(label, !/^\s+at /m.test(r.stderr), "stack trace");
        check(label, readFileSync(dbPath).equals(before), "the file changed");
      }
      expect(failures).toEqual([]);
    });
  }
});

describe("damaged files around the pool", () => {
  test("an unparsable account .claude.json: the launch warns and still runs, the file untouched", async () => {
    const pool = await freshPool();
    const path = join(pool.accounts[0]?.configDir as string, ".claude.json");
    writeFileSync(path, "{ not json");
    const r = await runCli(["run"], { env: pool.vars });
    check("account .claude.json", r.code === 0, `exit ${r.code}: ${r.stderr}`);
    check("account .claude.json", r.stderr.includes(path) && r.stderr.includes("ccp doctor"), r.stderr);
    check("account .claude.json", readFileSync(path, "utf8") === "{ not json", "overwritten");
    expect(failures).toEqual([]);
  });

  test("an unparsable ~/.claude.json: launches still work and the base is untouched", async () => {
    const pool = await freshPool();
    const base = join(pool.home, ".claude.json");
    writeFileSync(base, "garbage{");
    const r = await runCli(["run"], { env: pool.vars });
    check("base .claude.json", r.code === 0, `exit ${r.code}: ${r.stderr}`);
    check("base .claude.json", readFileSync(base, "utf8") === "garbage{", "base changed");
    expect(failures).toEqual([]);
  });

  test("corrupt credentials: selection still answers, the file is left as it is", async () => {
    const pool = await freshPool();
    const cred = join(pool.accounts[0]?.configDir as string, ".credentials.json");
    writeFileSync(cred, "{{{");
    const r = await runCli(["select", "--fresh", "0s"], { env: pool.vars });
    check("corrupt credentials", r.code === 0, `exit ${r.code}: ${r.stderr}`);
    check("corrupt credentials", readFileSync(cred, "utf8") === "{{{", "credentials overwritten");
    expect(failures).toEqual([]);
  });

  test("a missing account dir: a clear message naming it and `ccp doctor`", async () => {
    const pool = await freshPool();
    const dir = pool.accounts[0]?.configDir as string;
    rmSync(dir, { recursive: true });
    const r = await runCli(["run"], { env: { ...pool.vars, CCP_ACCOUNT: "1" } });
    check("missing account dir", r.code === 1, `exit ${r.code}: ${r.stderr}`);
    check("missing account dir", r.stderr.includes(dir) && r.stderr.includes("ccp doctor"), r.stderr);
    const auto = await runCli(["run"], { env: pool.vars, cwd: tempDir() });
    check("missing account dir, automatic choice", auto.code === 0, `exit ${auto.code}: ${auto.stderr}`);
    expect(failures).toEqual([]);
  });

  test("a missing ~/.claude: launches work and create it with only its shared folders", async () => {
    const pool = await freshPool();
    rmSync(join(pool.home, ".claude"), { recursive: true });
    const r = await runCli(["run"], { env: pool.vars });
    check("missing ~/.claude", r.code === 0, `exit ${r.code}: ${r.stderr}`);
    // Without it nothing could be shared (plain claude never ran here): cc-pool makes it, empty
    // but for the shared folders, never anything that plain claude would read as its own.
    const entries = readdirSync(join(pool.home, ".claude")).sort();
    check(
      "missing ~/.claude",
      entries.join(",") === [...SHARED_BASE_DIRS].sort().join(","),
      entries.join(","),
    );
    expect(failures).toEqual([]);
  });

  test("CCP_HOME that cannot be a directory: a clear message naming it", async () => {
    const file = join(tempDir(), "not-a-dir");
    writeFileSync(file, "x");
    for (const args of [["select"], ["list"], ["init"]]) {
      const r = await runCli(args, { env: { CCP_HOME: file } });
      check(`CCP_HOME file / ${args[0]}`, r.code === 1, `exit ${r.code}: ${r.stderr}`);
      check(`CCP_HOME file / ${args[0]}`, r.stderr.includes(file), r.stderr);
    }
    expect(failures).toEqual([]);
  });
});
