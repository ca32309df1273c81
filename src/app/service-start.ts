// The daemon's service as the commands see it: the real machine and the pool wired into
// src/daemon/service.ts, and what `init`/`add` do about the daemon.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../env.ts";
import type { PoolAccess, ServiceHost } from "../daemon/service.ts";
import type { Db } from "../store/db.ts";
import { daemonAlive } from "../store/meta.ts";
import { log } from "../ui/log.ts";
import { openExistingPool } from "./pool.ts";

/** The pool database, opened per use: the service commands work before a pool exists. */
export function poolAccess(env: Env): PoolAccess {
  return {
    withDb<T>(fn: (db: Db) => T): T | undefined {
      const db = openExistingPool(env);
      if (!db) return undefined;
      try {
        return fn(db);
      } finally {
        db.close();
      }
    },
  };
}

/** This machine, with the daemon's argv resolved to a path that survives upgrades. */
export async function machineHost(env: Env): Promise<ServiceHost> {
  const { isHomebrewInstall, stableDaemonProgram } = await import("../daemon/service-files.ts");
  const { systemHost } = await import("../daemon/service.ts");
  const program = stableDaemonProgram({
    execPath: process.execPath,
    argv0: process.argv0,
    script: process.argv[1],
    pathEnv: env.path,
    cwd: process.cwd(),
  });
  return systemHost(env, program, isHomebrewInstall(process.execPath));
}

/** Removes every account's stored login and dir, recorded or left over; never ~/.claude. */
export async function removeAllAccounts(env: Env): Promise<string[]> {
  const { createCredentialStore } = await import("../secrets/index.ts");
  const { discardAccountDir } = await import("./accounts.ts");
  const { listAccounts } = await import("../store/accounts.ts");
  const dirs = new Set<string>();
  poolAccess(env).withDb((db) => {
    for (const a of listAccounts(db)) dirs.add(a.configDir);
  });
  if (existsSync(env.accountsDir)) {
    for (const name of readdirSync(env.accountsDir)) dirs.add(join(env.accountsDir, name));
  }
  const store = createCredentialStore(env);
  const problems: string[] = [];
  for (const dir of dirs) {
    try {
      await store.delete(dir);
    } catch (error) {
      problems.push(`the stored login of ${dir} could not be deleted: ${(error as Error).message}`);
    }
    try {
      discardAccountDir(env, dir);
    } catch (error) {
      problems.push(`${dir} could not be removed: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * What `init` and `add` do about the daemon: install and start the service; where this machine
 * has no service manager (a container), start the daemon in the background instead.
 */
export async function startServiceForInit(env: Env, options: { skip: boolean }): Promise<void> {
  if (options.skip) {
    log.dim("Daemon not started (--no-service); `ccp service install` starts it later.");
    return;
  }
  if (!env.daemonAutostart) {
    log.dim("Daemon not started (CCP_DAEMON_AUTOSTART=0); `ccp service install` starts it.");
    return;
  }
  const { spawnDetachedDaemon } = await import("../daemon/spawn.ts");
  const { installService } = await import("../daemon/service.ts");
  const pool = poolAccess(env);
  try {
    const result = await installService(env, pool, await machineHost(env));
    if (result.installed) {
      log.success(`Daemon running as a ${result.manager.name}.`);
      return;
    }
    // No service manager (a container): the daemon runs in the background instead, said in one line.
  } catch (error) {
    log.warn(`Could not install the background service: ${(error as Error).message}.`);
  }
  const running = pool.withDb((db) => daemonAlive(db, Date.now()));
  if (running) {
    log.info("The daemon is already running; no service manager here to keep it across reboots.");
    return;
  }
  try {
    const pid = spawnDetachedDaemon(env);
    log.info(
      `Daemon started in the background (pid ${pid}); no service manager here to keep it across reboots.`,
    );
  } catch (error) {
    log.warn(
      `Could not start the daemon: ${(error as Error).message}. Run it by hand: nohup ccp daemon >/dev/null 2>&1 &`,
    );
  }
}
