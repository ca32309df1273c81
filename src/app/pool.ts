import { existsSync } from "node:fs";
import type { Env } from "../env.ts";
import { type Db, ensurePrivateDir, openDb } from "../store/db.ts";

/** Creates the pool (CCP_HOME, accounts dir, database) if needed and opens it. Idempotent. */
export function openPool(env: Env): Db {
  ensurePrivateDir(env.ccpHome);
  ensurePrivateDir(env.accountsDir);
  return openDb(env.dbPath);
}

/** Opens an existing pool, or returns undefined when there is none yet (never creates one). */
export function openExistingPool(env: Env): Db | undefined {
  if (!existsSync(env.dbPath)) return undefined;
  return openDb(env.dbPath);
}
