// cc-pool started under the name `claude` (the link `ccp shim install` makes) is `ccp run`: programs
// that start `claude` without a shell alias (IDE extensions, agent tools, scripts) get the pool.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { invokedAsClaude } from "../../src/app/invoked-as.ts";
import { compiledCcp } from "../helpers/binary.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";
import { REAL_CLAUDE, messageChains } from "../helpers/real-claude.ts";

let fake: FakeAnthropic;
let pool: TestPool;
let ccp: string;
/** A dir holding the real claude, as an npm or native install would put it on PATH. */
let realDir: string;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  fake.setMessageText("Pooled through the shim");
  pool = await makePool(fake, [
    { name: "heavy", util5Pct: 80, util7Pct: 60 },
    { name: "light", util5Pct: 5, util7Pct: 10 },
  ]);
  ccp = await compiledCcp();
  realDir = join(tempDir("real-"), "bin");
  mkdirSync(realDir, { recursive: true });
  symlinkSync(REAL_CLAUDE, join(realDir, "claude"));
}, 240_000);
afterAll(async () => {
  await fake.stop();
  rmSync(dirname(dirname(ccp)), { recursive: true, force: true });
});

const SYSTEM_PATH = "/usr/bin:/bin";

function vars(path: string): Record<string, string> {
  return { ...pool.vars, PATH: path };
}

describe("ccp shim", () => {
  test("install links claude to cc-pool and says when the dir is not ahead of the real claude", async () => {
    const dir = join(tempDir("shim-"), "bin");
    const notOnPath = await runCli(["shim", "install", "--dir", dir], {
      bin: ccp,
      env: vars(`${realDir}:${SYSTEM_PATH}`),
    });
    expect(notOnPath.code).toBe(0);
    const link = join(dir, "claude");
    expect(notOnPath.stdout.trim()).toBe(link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(ccp);
    expect(notOnPath.stderr).toContain("is not on PATH");
    expect(notOnPath.stderr).toContain(`export PATH="${dir}:$PATH"`);

    const behind = await runCli(["shim", "install", "--dir", dir], {
      bin: ccp,
      env: vars(`${realDir}:${dir}:${SYSTEM_PATH}`),
    });
    expect(behind.code).toBe(0);
    expect(behind.stderr).toContain("already runs cc-pool");
    expect(behind.stderr).toContain(`comes after ${join(realDir, "claude")}`);

    const ahead = await runCli(["shim", "install", "--dir", dir], {
      bin: ccp,
      env: vars(`${dir}:${realDir}:${SYSTEM_PATH}`),
    });
    expect(ahead.stderr).toContain("comes before the real claude");

    const doctor = await runCli(["doctor", "--json"], {
      bin: ccp,
      env: vars(`${dir}:${realDir}:${SYSTEM_PATH}`),
    });
    const finding = JSON.parse(doctor.stdout).findings.find((f: { check: string }) => f.check === "shim");
    expect(finding.status).toBe("ok");
    expect(finding.message).toContain(`is cc-pool (${link})`);
    expect(finding.message).toContain(join(realDir, "claude"));
    const plain = await runCli(["doctor", "--json"], {
      bin: ccp,
      env: vars(`${realDir}:${dir}:${SYSTEM_PATH}`),
    });
    const real = JSON.parse(plain.stdout).findings.find((f: { check: string }) => f.check === "shim");
    expect(real.message).toContain("is the real one");

    const removed = await runCli(["shim", "uninstall", "--dir", dir], { bin: ccp, env: vars(SYSTEM_PATH) });
    expect(removed.code).toBe(0);
    expect(existsSync(link)).toBe(false);
    const again = await runCli(["shim", "uninstall", "--dir", dir], { bin: ccp, env: vars(SYSTEM_PATH) });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("nothing changed");
  }, 60_000);

  test("a claude that is not cc-pool is never replaced or removed", async () => {
    const dir = tempDir("occupied-");
    symlinkSync(REAL_CLAUDE, join(dir, "claude"));
    const r = await runCli(["shim", "install", "--dir", dir], { bin: ccp, env: vars(SYSTEM_PATH) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not cc-pool");
    expect(readlinkSync(join(dir, "claude"))).toBe(REAL_CLAUDE);
    const u = await runCli(["shim", "uninstall", "--dir", dir], { bin: ccp, env: vars(SYSTEM_PATH) });
    expect(u.code).toBe(1);
    expect(readlinkSync(join(dir, "claude"))).toBe(REAL_CLAUDE);
    const file = tempDir("file-");
    writeFileSync(join(file, "claude"), "#!/bin/sh\n", { mode: 0o755 });
    expect(
      (await runCli(["shim", "uninstall", "--dir", file], { bin: ccp, env: vars(SYSTEM_PATH) })).code,
    ).toBe(1);
    expect(existsSync(join(file, "claude"))).toBe(true);
    const bad = await runCli(["shim", "instal"], { bin: ccp, env: vars(SYSTEM_PATH) });
    expect(bad.code).toBe(2);
  }, 60_000);

  test("from a source checkout, install refuses (a link needs the installed binary)", async () => {
    const r = await runCli(["shim", "install", "--dir", tempDir()], { env: vars(SYSTEM_PATH) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("source checkout");
  });

  test("a script without a shell rc that runs `claude -p` gets the emptiest account through the link", async () => {
    const dir = join(tempDir("shim-"), "bin");
    const path = `${dir}:${realDir}:${SYSTEM_PATH}`;
    expect((await runCli(["shim", "install", "--dir", dir], { bin: ccp, env: vars(path) })).code).toBe(0);
    const script = join(tempDir("script-"), "agent.sh");
    writeFileSync(script, "#!/bin/sh\nexec claude 'do the task' -p\n", { mode: 0o755 });
    fake.clearRequests();
    // No alias, no rc file, no CCP_CLAUDE_BIN: only PATH finds both claudes.
    const r = await runCli([], {
      bin: script,
      env: {
        ...vars(path),
        CCP_CLAUDE_BIN: undefined,
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        SHELL: "/bin/sh",
        ENV: undefined,
        BASH_ENV: undefined,
      },
      cwd: tempDir("project-"),
      timeoutMs: 90_000,
    });
    expect(r.stderr).toContain("Selected light");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Pooled through the shim");
    const light = pool.accounts[1]!.token.chainId;
    expect(new Set(messageChains(fake))).toEqual(new Set([light]));
  }, 120_000);

  test("through the link, claude --version and claude auth … run the real claude unpooled", async () => {
    const dir = join(tempDir("shim-"), "bin");
    const path = `${dir}:${realDir}:${SYSTEM_PATH}`;
    expect((await runCli(["shim", "install", "--dir", dir], { bin: ccp, env: vars(path) })).code).toBe(0);
    const version = await runCli(["--version"], { bin: join(dir, "claude"), env: vars(path) });
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+ \(Claude Code\)/);
    expect(version.stderr).not.toContain("Selected");
    const status = await runCli(["auth", "status"], {
      bin: join(dir, "claude"),
      env: { ...vars(path), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", DISABLE_AUTOUPDATER: "1" },
    });
    expect(status.stderr).not.toContain("Selected");
    // On the user's own (empty) config dir: not logged in, whatever the pool holds.
    expect(status.stdout).toContain('"loggedIn": false');
  }, 60_000);

  test("the name decides: claude (compiled argv0 or a source entry named claude), nothing else", () => {
    expect(invokedAsClaude("claude", "/$bunfs/root/cc-pool")).toBe(true);
    expect(invokedAsClaude("/home/me/.local/bin/claude", "/$bunfs/root/cc-pool")).toBe(true);
    expect(invokedAsClaude("ccp", "/$bunfs/root/cc-pool")).toBe(false);
    expect(invokedAsClaude("bun", "/repo/src/cli.ts")).toBe(false);
    expect(invokedAsClaude("bun", "/repo/bin/claude")).toBe(true);
    expect(invokedAsClaude(undefined, undefined)).toBe(false);
  });
});
