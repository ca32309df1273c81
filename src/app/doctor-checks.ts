// Two checks of `ccp doctor` that look past the files: which accounts need a new login (re-checked
// live, so a login fixed by hand is noticed at once), and the truth about the daemon (service
// manager, unit file, running pid, version, heartbeat, last poll, last error; `--fix` restarts it).
import { formatAge } from "../duration.ts";
import type { Env } from "../env.ts";
import type { CredentialStore } from "../secrets/types.ts";
import type { AccountRow } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import type { Finding, FindingStatus } from "./doctor.ts";
import type { PollResult } from "./sample.ts";

export type Scope = { id: number; name: string } | null;

/** One line of the doctor's report. */
export function finding(
  check: Finding["check"],
  account: Scope,
  status: FindingStatus,
  message: string,
  extra: { fix?: string; fixable?: boolean; changed?: string[] } = {},
): Finding {
  return {
    check,
    account,
    status,
    message,
    fix: extra.fix ?? null,
    fixable: extra.fixable ?? false,
    changed: extra.changed ?? [],
  };
}

/** Bound on each live re-check of a flagged login. */
const LOGIN_RECHECK_TIMEOUT_MS = 5_000;

/** "12s ago", "5m ago", "3h ago". */
export function agoText(atMs: number | null, nowMs: number): string {
  return atMs === null ? "never" : `${formatAge(nowMs - atMs)} ago`;
}

/** Accounts the pool marks as needing a new login (the flag, or a poll that found no login). */
export async function flaggedForLogin(db: Db, accounts: readonly AccountRow[]): Promise<AccountRow[]> {
  const { allHealth } = await import("../store/health.ts");
  const { newestSamples } = await import("../store/usage.ts");
  const { NO_CREDENTIAL } = await import("./sample.ts");
  const health = allHealth(db);
  const newest = newestSamples(db);
  return accounts.filter((a) => {
    const n = newest.get(a.id);
    return (
      Boolean(health.get(a.id)?.needsLogin) || (n?.status === "unauthorized" && n.error === NO_CREDENTIAL)
    );
  });
}

/**
 * One finding per account flagged as needing a login. Each is re-checked live first (bounded):
 * a chain that answers again clears the flag, so a login repaired by hand unblocks `ccp run` now.
 */
export async function checkLogins(
  env: Env,
  db: Db,
  store: CredentialStore,
  accounts: readonly AccountRow[],
): Promise<Finding[]> {
  const flagged = await flaggedForLogin(db, accounts);
  if (flagged.length === 0) return [];
  const { pollAccount, recordPoll } = await import("./sample.ts");
  const { writeTx } = await import("../store/db.ts");
  const out: Finding[] = [];
  // In parallel: the whole check is bounded by one timeout, however many accounts are flagged.
  const results = await Promise.all(
    flagged.map((account) => pollAccount(env, store, account, { timeoutMs: LOGIN_RECHECK_TIMEOUT_MS })),
  );
  writeTx(db, () => {
    for (const result of results) recordPoll(db, result);
  });
  for (const [i, account] of flagged.entries()) {
    const scope = { id: account.id, name: account.name };
    const result = results[i] as PollResult;
    if (result.status === "ok") {
      out.push(
        finding("login", scope, "ok", "Its login works again (checked just now); it is back in the pool."),
      );
      continue;
    }
    const why = result.networkFailure
      ? `it could not be re-checked now (${result.error})`
      : result.status === "rate_limited"
        ? "the usage endpoint is rate-limiting it, so it could not be re-checked now"
        : "its stored login no longer works";
    out.push(
      finding("login", scope, "problem", `Needs a new login: ${why}. \`ccp run\` skips it until then.`, {
        fix: `Run \`ccp login ${account.id}\` to log ${account.name} in again.`,
      }),
    );
  }
  return out;
}

export interface DaemonCheckOptions {
  fix: boolean;
  nowMs: number;
  /** True when the pool has accounts: without any, a stopped daemon is nothing to repair. */
  hasAccounts: boolean;
}

/** The daemon line: what manages it, whether it runs, and how it is doing. */
export async function checkDaemon(env: Env, options: DaemonCheckOptions): Promise<Finding> {
  const { machineHost, poolAccess } = await import("./service-start.ts");
  const service = await import("../daemon/service.ts");
  const host = await machineHost(env);
  const pool = poolAccess(env);
  let st: Awaited<ReturnType<typeof service.serviceStatus>>;
  try {
    st = await service.serviceStatus(env, pool, host);
  } catch (error) {
    return finding(
      "daemon",
      null,
      "problem",
      `Could not read the daemon's state: ${(error as Error).message}`,
      {
        fix: "Run `ccp service status` for details.",
      },
    );
  }
  const { nowMs } = options;
  const managed =
    st.manager === "none"
      ? `no service manager (${st.managerReason ?? "none available"})`
      : `${st.managerName} ${st.installed ? `installed (${st.file})` : "not installed"}`;
  const poll = `last poll ${agoText(st.lastPollAtMs, nowMs)}`;
  const lastError =
    st.lastError && st.lastErrorAtMs !== null
      ? `; last error ${agoText(st.lastErrorAtMs, nowMs)}: ${st.lastError}`
      : "";
  if (st.running) {
    return finding(
      "daemon",
      null,
      "ok",
      `Running (pid ${st.pid}, version ${st.version}, heartbeat ${agoText(st.heartbeatAtMs, nowMs)}, ${poll}); ${managed}${lastError}.`,
    );
  }
  const last =
    st.heartbeatAtMs === null ? "it never ran" : `last heartbeat ${agoText(st.heartbeatAtMs, nowMs)}`;
  const stopped = `Not running (${last}); ${managed}${lastError}.`;
  if (!options.hasAccounts) return finding("daemon", null, "info", stopped);
  if (st.autostartDisabled) {
    return finding("daemon", null, "info", `${stopped} It was stopped by \`ccp service uninstall\`.`, {
      fix: "Run `ccp service install` to run it again.",
    });
  }
  if (!env.daemonAutostart) {
    return finding("daemon", null, "info", `${stopped} CCP_DAEMON_AUTOSTART is off.`, {
      fix: "Run `ccp service install`, or `ccp daemon` yourself.",
    });
  }
  if (!options.fix) {
    return finding("daemon", null, "problem", `${stopped} Usage is only sampled when you launch.`, {
      fix: "Run `ccp doctor --fix` to start it again.",
      fixable: true,
    });
  }
  return restartDaemon(env, st.installed, stopped);
}

async function restartDaemon(env: Env, installed: boolean, stopped: string): Promise<Finding> {
  const { machineHost, poolAccess } = await import("./service-start.ts");
  try {
    if (installed) {
      const { installService } = await import("../daemon/service.ts");
      const result = await installService(env, poolAccess(env), await machineHost(env));
      if (result.installed) {
        return finding("daemon", null, "fixed", stopped, {
          fixable: true,
          changed: [`restarted it through the ${result.manager.name}`],
        });
      }
    }
    const { spawnDetachedDaemon } = await import("../daemon/spawn.ts");
    const pid = spawnDetachedDaemon(env);
    return finding("daemon", null, "fixed", stopped, {
      fixable: true,
      changed: [`started it in the background (pid ${pid})`],
    });
  } catch (error) {
    return finding(
      "daemon",
      null,
      "problem",
      `${stopped} Restarting it failed: ${(error as Error).message}`,
      {
        fix: "Run `ccp service install`, or `ccp daemon` in a terminal to see what goes wrong.",
      },
    );
  }
}
