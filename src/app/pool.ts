import { resolve } from "../fs/posix-path.ts";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { isDirectory, isInsidePath, realpathOfNearest, statPath } from "../fs/probe.ts";
import { type Db, ensurePrivateDir, openDb } from "../store/db.ts";
import { log } from "../ui/log.ts";

function assertPoolDir(env: Env): void {
  // Account dirs under `~/.claude` would put cc-pool's deletes and chmods into the base.
  const base = [resolve(env.claudeDir), realpathOfNearest(env.claudeDir)];
  const home = [resolve(env.ccpHome), realpathOfNearest(env.ccpHome)];
  if (base.some((b) => home.some((h) => isInsidePath(b, h)))) {
    throw new CcpError("bad-env", `CCP_HOME (${env.ccpHome}) is inside ${env.claudeDir}.`, {
      hint: "cc-pool never keeps its state inside Claude Code's own folder: point CCP_HOME elsewhere (default ~/.cc-pool).",
    });
  }
  let facts: ReturnType<typeof statPath>;
  try {
    facts = statPath(env.ccpHome);
  } catch {
    return;
  }
  if (facts !== undefined && !isDirectory(facts)) {
    throw new CcpError("db-io", `CCP_HOME (${env.ccpHome}) exists but is not a directory.`, {
      hint: "Move that file aside, or point CCP_HOME at a directory.",
    });
  }
}

/** Creates the pool (CCP_HOME, accounts dir, database) if needed and opens it. Idempotent. */
export function openPool(env: Env): Db {
  assertPoolDir(env);
  const warning = ensurePrivateDir(env.ccpHome, { allowLink: true });
  if (warning !== undefined) log.warn(warning);
  ensurePrivateDir(env.accountsDir);
  return openDb(env.dbPath);
}

/** Opens an existing pool, or returns undefined when there is none yet (never creates one). */
export function openExistingPool(env: Env): Db | undefined {
  assertPoolDir(env);
  if (statPath(env.dbPath) === undefined) return undefined;
  return openDb(env.dbPath);
}
