// `ccp run` skips the `.claude.json` merge and the login-override scan while their files are
// unchanged (src/overlay/launch-record.ts). Whatever changes between two launches, or during a
// session, must still arrive: each change here is made the unkind way (in place, same size, the
// modification time put back), after the record has been armed by an earlier idle launch.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { LAUNCH_RECORD_FILE, SETTLE_COARSE_MS, SETTLE_MS } from "../../src/overlay/launch-record.ts";
import { openDb, writeTx } from "../../src/store/db.ts";
import { DAEMON_HEARTBEAT_KEY, setMeta } from "../../src/store/meta.ts";
import { CLI_ENTRY, REPO_ROOT, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let claudeBin: string;

/** A claude that, given EDIT_FILE/EDIT_FROM/EDIT_TO, changes that file the unkind way, then exits. */
const EDITOR = `
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
const path = process.env.EDIT_FILE;
if (path) {
  // Whole-second times (the test pins them) are put back exactly.
  const { atimeMs, mtimeMs } = statSync(path);
  writeFileSync(path, readFileSync(path, "utf8").replace(process.env.EDIT_FROM, process.env.EDIT_TO));
  utimesSync(path, atimeMs / 1000, mtimeMs / 1000);
}
`;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  const dir = tempDir("editor-");
  writeFileSync(join(dir, "editor.ts"), EDITOR);
  claudeBin = join(dir, "claude");
  writeFileSync(claudeBin, `#!/bin/sh\nexec "${process.execPath}" "${join(dir, "editor.ts")}" "$@"\n`);
  chmodSync(claudeBin, 0o755);
});
afterAll(async () => {
  await fake.stop();
});

async function soloPool(): Promise<TestPool> {
  return makePool(fake, [{ name: "solo", util5Pct: 10, util7Pct: 10 }], { CCP_CLAUDE_BIN: claudeBin });
}

async function launch(pool: TestPool, extra: Record<string, string> = {}) {
  const r = await runCli(["run"], { env: { ...pool.vars, ...extra } });
  expect(r.code).toBe(0);
  return r;
}

function configDir(pool: TestPool): string {
  return pool.accounts[0]?.configDir as string;
}

function json(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

/** Edits `path` in place without changing its size or modification time. */
function editUnkindly(path: string, from: string, to: string): void {
  expect(to.length).toBe(from.length);
  const before = statSync(path, { bigint: true });
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
  utimesSync(path, Number(before.atimeMs), Number(before.mtimeMs) / 1000);
  const after = statSync(path, { bigint: true });
  expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
}

/** Waits until the files written so far are older than the timestamp granularity allows for. */
async function settle(pool: TestPool): Promise<void> {
  const coarse = statSync(join(pool.home, ".claude.json"), { bigint: true }).ctimeNs % 10_000_000n === 0n;
  await Bun.sleep((coarse ? SETTLE_COARSE_MS : SETTLE_MS) + 300);
}

/**
 * Gives a file a whole-second modification time, which can be put back exactly (JavaScript's
 * utimes cannot set nanoseconds): an edit then leaves size and mtime exactly as they were.
 */
function pinTimes(path: string): void {
  const t = Math.floor(Date.now() / 1000) - 60;
  utimesSync(path, t, t);
}

/**
 * Two launches with a pause: the second finds nothing to do and records that. The files the
 * tests edit get whole-second times first, so an edit can leave everything but the ctime alone.
 */
async function armRecord(pool: TestPool): Promise<void> {
  await launch(pool);
  pinTimes(join(pool.home, ".claude.json"));
  pinTimes(join(configDir(pool), ".claude.json"));
  pinTimes(join(pool.home, ".claude", "settings.json"));
  await settle(pool);
  await launch(pool);
  const parts = Object.keys(
    (json(join(configDir(pool), LAUNCH_RECORD_FILE)).parts ?? {}) as Record<string, unknown>,
  );
  // Without this the tests below would not exercise the skip at all.
  expect(parts.sort()).toEqual(["claude-json-merge", "login-overrides:account", "login-overrides:settings"]);
}

describe("ccp run with unchanged files", () => {
  test("a setting changed in ~/.claude.json between launches (same size and mtime) still flows in", async () => {
    const pool = await soloPool();
    const baseJson = join(pool.home, ".claude.json");
    const accountJson = join(configDir(pool), ".claude.json");
    await armRecord(pool);
    expect(json(accountJson).theme).toBe("dark");
    editUnkindly(baseJson, '"theme": "dark"', '"theme": "d4rk"');
    await launch(pool);
    expect(json(accountJson).theme).toBe("d4rk");
  }, 30_000);

  test("a setting the session changes in the account (same size and mtime) is written back at check-in", async () => {
    const pool = await soloPool();
    const baseJson = join(pool.home, ".claude.json");
    const accountJson = join(configDir(pool), ".claude.json");
    await armRecord(pool);
    await launch(pool, { EDIT_FILE: accountJson, EDIT_FROM: '"theme": "dark"', EDIT_TO: '"theme": "l1gh"' });
    expect(json(baseJson).theme).toBe("l1gh");
  }, 30_000);

  test("a setting changed by hand in the account between launches (same size and mtime) reaches ~/.claude.json", async () => {
    const pool = await soloPool();
    const baseJson = join(pool.home, ".claude.json");
    const accountJson = join(configDir(pool), ".claude.json");
    await armRecord(pool);
    editUnkindly(accountJson, '"editorMode": "vim"', '"editorMode": "emx"');
    await launch(pool);
    expect(json(baseJson).editorMode).toBe("emx");
  }, 30_000);

  test("an API key helper added to settings.json between launches (same size and mtime) is still warned about", async () => {
    const pool = await soloPool();
    const settings = join(pool.home, ".claude", "settings.json");
    writeFileSync(settings, '{"apiKeyHelpe_":"/bin/echo"}');
    await settle(pool);
    await armRecord(pool);
    const quiet = await launch(pool);
    expect(quiet.stderr).not.toContain("apiKeyHelper");
    editUnkindly(settings, "apiKeyHelpe_", "apiKeyHelper");
    const warned = await launch(pool);
    expect(warned.stderr).toContain("settings.json apiKeyHelper");
  }, 30_000);

  test("a Console key added to the account's .claude.json between launches (same size and mtime) is still warned about", async () => {
    const pool = await soloPool();
    const accountJson = join(configDir(pool), ".claude.json");
    writeFileSync(accountJson, JSON.stringify({ ...json(accountJson), primaryApiKeZ: "sk-ant-api03-x" }));
    await armRecord(pool);
    editUnkindly(accountJson, "primaryApiKeZ", "primaryApiKey");
    const warned = await launch(pool);
    expect(warned.stderr).toContain(".claude.json primaryApiKey");
  }, 30_000);

  test("a shared dir created in ~/.claude between launches is linked at the next one", async () => {
    const pool = await soloPool();
    await armRecord(pool);
    const agents = join(pool.home, ".claude", "agents");
    mkdirSync(agents);
    await launch(pool);
    const link = join(configDir(pool), "agents");
    expect(existsSync(link) && lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(agents);
  }, 30_000);
});

describe("ccp run with nothing to change", () => {
  /** A claude that marks the moment it starts in the trap's log, then exits. */
  function markingClaude(): string {
    const path = join(tempDir("marking-"), "claude");
    writeFileSync(path, '#!/bin/sh\necho "claude started" >> "$CCP_FS_TRAP"\n');
    chmodSync(path, 0o755);
    return path;
  }

  test("reads everything it checks without loading node:fs, until claude starts", async () => {
    const pool = await soloPool();
    await armRecord(pool);
    // A daemon keeps the logins fresh: the launch has no credential to look at.
    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    writeTx(db, () => setMeta(db, DAEMON_HEARTBEAT_KEY, String(Date.now())));
    db.close();
    const log = join(tempDir("fs-trap-"), "calls.log");
    const r = await runCli(["--preload", join(REPO_ROOT, "tests/helpers/fs-trap.ts"), CLI_ENTRY, "run"], {
      bin: process.execPath,
      env: { ...pool.vars, CCP_FS_TRAP: log, CCP_CLAUDE_BIN: markingClaude() },
    });
    expect(r.code).toBe(0);
    const calls = readFileSync(log, "utf8").split("\n").filter(Boolean);
    // Everything the launch read before claude started came through libc (src/fs/probe.ts).
    expect(calls.slice(0, calls.indexOf("claude started"))).toEqual([]);
    // The trap does see node:fs where the shim uses it, once claude runs.
    expect(calls.indexOf("claude started")).toBe(0);
    expect(calls.length).toBeGreaterThan(1);
  }, 30_000);
});
