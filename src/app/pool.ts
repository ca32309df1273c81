import { existsSync, statSync } from "node:fs";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { type Db, ensurePrivateDir, openDb } from "../store/db.ts";

function assertPoolDir(env: Env): void {
  let isDir = true;
  try {
    isDir = statSync(env.ccpHome).isDirectory();
  } catch {
    return;
  }
  if (!isDir) {
    throw new CcpError("db-io", `CCP_HOME (${env.ccpHome}) exists but is not a directory.`, {
      hint: "Move that file aside, or point CCP_HOME at a directory.",
    });
  }
}

/** Creates the pool (CCP_HOME, accounts dir, database) if needed and opens it. Idempotent. */
export function openPool(env: Env): Db {
  assertPoolDir(env);
  ensurePrivateDir(env.ccpHome);
  ensurePrivateDir(env.accountsDir);
  return openDb(env.dbPath);
}

/** Opens an existing pool, or returns undefined when there is none yet (never creates one). */
export function openExistingPool(env: Env): Db | undefined {
  assertPoolDir(env);
  if (!existsSync(env.dbPath)) return undefined;
  return openDb(env.dbPath);
}
