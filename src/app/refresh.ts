import { join } from "node:path";
import type { Env } from "../env.ts";
import type { CredentialStore } from "../secrets/types.ts";
import { type AccountRow, accountDirName } from "../store/accounts.ts";
import { type Db, writeTx } from "../store/db.ts";
import { updateHealth } from "../store/health.ts";
import {
  DEFAULT_REFRESH_IF_EXPIRES_WITHIN_MS,
  type RefreshOutcome,
  refreshAccountToken,
} from "../usage/refresh.ts";

export function refreshLockPath(env: Env, accountId: number): string {
  return join(env.ccpHome, "locks", `${accountDirName(accountId)}.refresh.lock`);
}

/** True when the stored access token expires within `withinMs` (or its expiry is unknown). */
export async function expiresSoon(
  store: CredentialStore,
  configDir: string,
  nowMs: number,
  withinMs = DEFAULT_REFRESH_IF_EXPIRES_WITHIN_MS,
): Promise<boolean> {
  const oauth = (await store.read(configDir))?.claudeAiOauth;
  if (!oauth?.refreshToken) return false;
  return typeof oauth.expiresAt !== "number" || oauth.expiresAt - nowMs < withinMs;
}

/**
 * Refreshes an idle account's token when it is about to expire, and records the outcome. Callers
 * must have checked that no session runs on the account: a session owns its own refresh.
 */
export async function refreshIdleAccount(
  env: Env,
  db: Db,
  store: CredentialStore,
  account: AccountRow,
  options: { force?: boolean; now?: () => number; timeoutMs?: number } = {},
): Promise<RefreshOutcome> {
  const now = options.now ?? Date.now;
  const outcome = await refreshAccountToken({
    configDir: account.configDir,
    store,
    tokenUrl: env.tokenUrl,
    lockPath: refreshLockPath(env, account.id),
    force: options.force,
    now,
    timeoutMs: options.timeoutMs,
  });
  writeTx(db, () => {
    const at = now();
    const detail =
      outcome.status === "transient" ? outcome.message : outcome.status === "skipped" ? outcome.reason : null;
    const logged =
      outcome.status === "invalid-grant"
        ? "invalid_grant"
        : outcome.status === "no-credential"
          ? "transient"
          : outcome.status;
    db.run("INSERT INTO refresh_log (account_id, at_ms, outcome, detail) VALUES (?, ?, ?, ?)", [
      account.id,
      at,
      logged,
      detail,
    ]);
    if (outcome.status === "refreshed")
      updateHealth(db, account.id, at, { refreshFailed: false, needsLogin: false });
    else if (outcome.status === "invalid-grant") {
      updateHealth(db, account.id, at, {
        needsLogin: true,
        refreshFailed: true,
        lastError: "the login was revoked (invalid_grant)",
      });
    } else if (outcome.status === "transient")
      updateHealth(db, account.id, at, { refreshFailed: true, lastError: outcome.message });
  });
  return outcome;
}
