// A throwaway machine for the accounts tests: a temp HOME with a realistic ~/.claude, its own
// CCP_HOME, the stand-in `claude` first on PATH, zsh as the shell. `ccp()` runs the real CLI and
// checks the sacred base after every command.
import { expect } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareAccountDir, recordAccount } from "../../src/app/accounts.ts";
import { openPool } from "../../src/app/pool.ts";
import { type Env, loadEnv } from "../../src/env.ts";
import { createFileStore } from "../../src/secrets/file-store.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type CliResult, baseEnv, runCli, tempDir } from "../helpers/cli.ts";
import { expectSacredUnchanged, type MakeBaseOptions, makeBase, snapshotSacred } from "../helpers/sacred.ts";

export interface World {
  home: string;
  ccpHome: string;
  accountsDir: string;
  dbPath: string;
  claudeBin: string;
  vars: Record<string, string>;
  env: Env;
  /** Digest of `~/.claude` + `~/.claude.json` when the world was made. */
  sacred: string;
}

export function makeWorld(opts: { base?: MakeBaseOptions; vars?: Record<string, string> } = {}): World {
  const root = tempDir("w-");
  const home = join(root, "home");
  const ccpHome = join(root, "pool");
  mkdirSync(home, { recursive: true });
  makeBase(home, opts.base);
  const binDir = standInClaudeDir();
  const vars = baseEnv({
    HOME: home,
    CCP_HOME: ccpHome,
    PATH: pathWith(binDir),
    SHELL: "/bin/zsh",
    CCP_SECRET_STORE: "file",
    FAKE_LOGIN_DELAY_MS: "50",
    ...opts.vars,
  });
  return {
    home,
    ccpHome,
    accountsDir: join(ccpHome, "accounts"),
    dbPath: join(ccpHome, "pool.db"),
    claudeBin: join(binDir, "claude"),
    vars,
    env: loadEnv(vars),
    sacred: snapshotSacred(home),
  };
}

/** Runs `ccp <args>` in the world and asserts `~/.claude` and `~/.claude.json` did not change. */
export async function ccp(
  world: World,
  args: string[],
  opts: { env?: Record<string, string | undefined>; sacred?: boolean } = {},
): Promise<CliResult> {
  const r = await runCli(args, { env: { ...world.vars, ...opts.env } });
  if (opts.sacred !== false) expectSacredUnchanged(world.home, world.sacred);
  return r;
}

export interface ListedAccount {
  id: number;
  name: string;
  configDir: string;
  keychainService: string | null;
  credentialLocation: string;
  email: string | null;
  organization: string | null;
}

export async function listAccountsJson(world: World): Promise<ListedAccount[]> {
  const r = await ccp(world, ["list", "--json"]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { accounts: ListedAccount[] }).accounts;
}

export function accountDirs(world: World): string[] {
  return existsSync(world.accountsDir) ? readdirSync(world.accountsDir).sort() : [];
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * Adds a logged-in account through the same code `ccp add` uses, without a login process: the
 * dir is prepared and seeded, then given a credential and an identity as `claude auth login` would.
 */
export async function addAccountDirect(
  world: World,
  spec: { email: string; org?: string; label?: string; uuid?: string },
): Promise<{ id: number; name: string; configDir: string }> {
  const db = openPool(world.env);
  try {
    const prepared = prepareAccountDir(world.env, db);
    const uuid = spec.uuid ?? createHash("sha256").update(spec.email).digest("hex").slice(0, 32);
    await createFileStore().write(prepared.configDir, {
      claudeAiOauth: {
        accessToken: `sk-ant-oat01-direct-${uuid.slice(0, 8)}`,
        refreshToken: `sk-ant-ort01-direct-${uuid.slice(0, 8)}`,
        expiresAt: Date.now() + 8 * 3_600_000,
        scopes: ["user:inference", "user:profile"],
        subscriptionType: "max",
      },
    });
    const configPath = join(prepared.configDir, ".claude.json");
    const config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
    config.oauthAccount = {
      accountUuid: uuid,
      emailAddress: spec.email,
      organizationUuid: `org-${uuid.slice(0, 8)}`,
      organizationName: spec.org ?? `${spec.email}'s Organization`,
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    return recordAccount(db, prepared, spec.label, Date.now());
  } finally {
    db.close();
  }
}

/**
 * Stand-in claude processes started for this test process that are still running (Linux only:
 * found through /proc by the test root in their environment). Kills them and returns their pids.
 */
export function reapStrayStandIns(): number[] {
  const root = process.env.CCP_TEST_ROOT;
  if (!root || !existsSync("/proc/self/environ")) return [];
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmdline.includes("stand-in-claude.ts")) continue;
      if (!readFileSync(`/proc/${entry}/environ`, "utf8").includes(root)) continue;
      found.push(Number(entry));
      process.kill(Number(entry), "SIGKILL");
    } catch {
      // Gone while looking, or not ours to read.
    }
  }
  return found;
}
