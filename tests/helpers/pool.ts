// A real pool on disk for tests: temp HOME and CCP_HOME, a realistic ~/.claude, accounts created
// through the same code `ccp add` uses, each logged in with a token chain of the fake server.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareAccountDir, recordAccount } from "../../src/app/accounts.ts";
import { openPool } from "../../src/app/pool.ts";
import { type Env, loadEnv } from "../../src/env.ts";
import type { Db } from "../../src/store/db.ts";
import { createFileStore } from "../../src/secrets/file-store.ts";
import type { FakeAnthropic, IssuedToken } from "./fake-anthropic.ts";
import { baseEnv, tempDir } from "./cli.ts";
import { makeBase } from "./sacred.ts";

export interface PoolAccount {
  id: number;
  name: string;
  configDir: string;
  token: IssuedToken;
}

export interface TestPool {
  home: string;
  /** Environment for child processes (`runCli(..., { env: pool.vars })`). */
  vars: Record<string, string>;
  env: Env;
  accounts: PoolAccount[];
}

/** A usage answer; the 5h window resets in `reset5InMs` (null: no reset time, so no reset credit). */
export function usagePayload(
  util5Pct: number,
  util7Pct: number,
  reset5InMs: number | null = 4 * 3_600_000,
): unknown {
  const hour = 3_600_000;
  return {
    five_hour: {
      utilization: util5Pct,
      resets_at: reset5InMs === null ? null : new Date(Date.now() + reset5InMs).toISOString(),
    },
    seven_day: { utilization: util7Pct, resets_at: new Date(Date.now() + 5 * 24 * hour).toISOString() },
  };
}

export interface AccountSpec {
  name: string;
  util5Pct?: number;
  util7Pct?: number;
  /** When the 5h window resets; null for no reset time (the seed's baseline numbers). */
  reset5InMs?: number | null;
  expiresInMs?: number;
}

export function poolVars(
  home: string,
  fake: FakeAnthropic | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return baseEnv({
    HOME: home,
    CCP_HOME: join(home, ".cc-pool"),
    CCP_SECRET_STORE: "file",
    ...(fake
      ? { CCP_USAGE_URL: fake.usageUrl, CCP_TOKEN_URL: fake.tokenUrl, CCP_PROFILE_URL: fake.profileUrl }
      : {}),
    ...extra,
  });
}

/** Builds a pool with the given accounts; usage is scripted on the fake server per account. */
export async function makePool(
  fake: FakeAnthropic | undefined,
  specs: AccountSpec[],
  extra: Record<string, string> = {},
  opts: { makeBase?: (home: string) => void } = {},
): Promise<TestPool> {
  const home = join(tempDir("pool-"), "home");
  mkdirSync(home, { recursive: true });
  if (opts.makeBase) opts.makeBase(home);
  else makeBase(home);
  const vars = poolVars(home, fake, extra);
  const env = loadEnv(vars);
  const db = openPool(env);
  const accounts: PoolAccount[] = [];
  try {
    for (const spec of specs) accounts.push(await createAccount(env, db, fake, spec));
  } finally {
    db.close();
  }
  return { home, vars, env, accounts };
}

/** Adds an account to an existing pool the way makePool makes them (e.g. while a daemon runs). */
export async function addPoolAccount(
  pool: TestPool,
  fake: FakeAnthropic | undefined,
  spec: AccountSpec,
): Promise<PoolAccount> {
  const db = openPool(pool.env);
  try {
    const account = await createAccount(pool.env, db, fake, spec);
    pool.accounts.push(account);
    return account;
  } finally {
    db.close();
  }
}

async function createAccount(
  env: Env,
  db: Db,
  fake: FakeAnthropic | undefined,
  spec: AccountSpec,
): Promise<PoolAccount> {
  const store = createFileStore();
  const prepared = prepareAccountDir(env, db);
  const token = fake
    ? fake.issueToken({ label: spec.name, expiresInMs: spec.expiresInMs })
    : {
        chainId: spec.name,
        accessToken: `sk-ant-oat01-none-${spec.name}`,
        refreshToken: `sk-ant-ort01-none-${spec.name}`,
        expiresAt: Date.now() + 8 * 3600_000,
      };
  await store.write(prepared.configDir, {
    claudeAiOauth: {
      accessToken: token.accessToken,
      refreshToken: token.refreshToken,
      expiresAt: token.expiresAt,
      scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
      subscriptionType: "max",
    },
  });
  const configPath = join(prepared.configDir, ".claude.json");
  const seeded = JSON.parse(await Bun.file(configPath).text());
  seeded.oauthAccount = {
    accountUuid: `uuid-${spec.name}`,
    emailAddress: `${spec.name}@example.com`,
    organizationName: `${spec.name} org`,
  };
  writeFileSync(configPath, JSON.stringify(seeded, null, 2), { mode: 0o600 });
  const recorded = recordAccount(db, prepared, spec.name, Date.now());
  if (fake && (spec.util5Pct !== undefined || spec.util7Pct !== undefined)) {
    fake.setUsage(token.accessToken, usagePayload(spec.util5Pct ?? 0, spec.util7Pct ?? 0, spec.reset5InMs));
  }
  return { id: recorded.id, name: recorded.name, configDir: recorded.configDir, token };
}
