// One usage poll of one account, and how its outcome is recorded. Shared by live sampling in
// select/status and by the daemon. Tokens are read here and never leave this function.
import type { Env } from "../env.ts";
import { isCcpError } from "../errors.ts";
import { KEYCHAIN_LOCKED } from "../secrets/keychain-status.ts";
import type { CredentialStore } from "../secrets/types.ts";
import type { AccountRow } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { updateHealth } from "../store/health.ts";
import { type SampleStatus, insertSample } from "../store/usage.ts";
import { fetchUsage } from "../usage/client.ts";
import { isUsageError } from "../usage/errors.ts";
import type { UsageSnapshot } from "../usage/payloads.ts";

export const NO_CREDENTIAL = "no-credential";

export interface PollResult {
  accountId: number;
  takenAtMs: number;
  status: SampleStatus;
  snapshot: UsageSnapshot | null;
  /** Token-free description of what went wrong. */
  error: string | null;
  retryAfterMs: number | null;
  /** The failure was about the login (401/403, or nothing stored). */
  authFailure: boolean;
  /** The failure was the network or a timeout (for outage detection). */
  networkFailure: boolean;
  /**
   * The access token sent had already expired by its stored `expiresAt`. A 401 for it says
   * nothing about the login (only that nobody refreshed it yet), so it never counts towards
   * "needs login".
   */
  tokenExpired?: boolean;
  /** A request was sent to the usage endpoint (counted against the account's budget). */
  requested: boolean;
}

export interface PollOptions {
  /** The user asked for this sample: it is sent even when the account's hourly budget is spent. */
  userAsked?: boolean;
  timeoutMs?: number;
  claudeVersion?: string;
  now?: () => number;
  signal?: AbortSignal;
}

export async function pollAccount(
  env: Env,
  store: CredentialStore,
  account: AccountRow,
  options: PollOptions = {},
): Promise<PollResult> {
  const now = options.now ?? Date.now;
  const base = {
    accountId: account.id,
    snapshot: null,
    retryAfterMs: null,
    authFailure: false,
    networkFailure: false,
    requested: false,
  };
  let accessToken: string | undefined;
  let tokenExpired = false;
  try {
    const oauth = (await store.read(account.configDir))?.claudeAiOauth;
    accessToken = oauth?.accessToken;
    tokenExpired = typeof oauth?.expiresAt === "number" && oauth.expiresAt <= now();
  } catch (error) {
    // A locked keychain hides the login, it does not lose it: skip the account this round.
    if (isCcpError(error) && error.code === "keychain-locked")
      return { ...base, takenAtMs: now(), status: "error", error: KEYCHAIN_LOCKED };
    const message = isCcpError(error) ? error.message : "the stored login could not be read";
    return { ...base, takenAtMs: now(), status: "error", error: message };
  }
  if (!accessToken) {
    return { ...base, takenAtMs: now(), status: "unauthorized", error: NO_CREDENTIAL, authFailure: true };
  }
  try {
    const snapshot = await fetchUsage(env.usageUrl, accessToken, {
      timeoutMs: options.timeoutMs,
      claudeVersion: options.claudeVersion,
      signal: options.signal,
      now,
    });
    // A good sample whose values had to be corrected says so where its status is shown.
    const note = snapshot.adjusted ? `adjusted: ${snapshot.adjusted.join("; ")}` : null;
    return { ...base, takenAtMs: now(), status: "ok", snapshot, error: note, requested: true };
  } catch (error) {
    if (!isUsageError(error)) {
      return {
        ...base,
        takenAtMs: now(),
        status: "error",
        error: "unexpected failure while sampling usage",
        requested: true,
      };
    }
    const status: SampleStatus =
      error.kind === "rate-limited"
        ? "rate_limited"
        : error.kind === "unauthorized"
          ? "unauthorized"
          : "error";
    return {
      ...base,
      takenAtMs: now(),
      status,
      error: error.message,
      retryAfterMs: error.retryAfterMs,
      authFailure: error.kind === "unauthorized",
      networkFailure: error.kind === "network" || error.kind === "timeout",
      tokenExpired,
      requested: true,
    };
  }
}

/**
 * Writes the sample row and the account's login health. Call inside a write transaction. An
 * account removed while it was being sampled is skipped (checked inside the transaction, so the
 * foreign key always holds). Returns false when skipped.
 */
export function recordPoll(db: Db, result: PollResult): boolean {
  if (!db.query("SELECT 1 FROM accounts WHERE id = ?").get(result.accountId)) return false;
  const s = result.snapshot;
  insertSample(
    db,
    {
      accountId: result.accountId,
      takenAtMs: result.takenAtMs,
      status: result.status,
      util5Pct: s?.util5Pct ?? null,
      reset5AtMs: s?.reset5AtMs ?? null,
      util7Pct: s?.util7Pct ?? null,
      reset7AtMs: s?.reset7AtMs ?? null,
      scoped7Pct: s?.scoped7?.pct ?? null,
      scoped7ResetAtMs: s?.scoped7?.resetAtMs ?? null,
      scoped7Model: s?.scoped7?.model ?? null,
      scoped7Buckets: s && s.scopedBuckets.length > 0 ? s.scopedBuckets : null,
      extraUsageEnabled: s?.extraUsageEnabled ?? null,
      error: result.error,
    },
    Date.now(),
  );
  if (result.status === "ok") {
    updateHealth(db, result.accountId, result.takenAtMs, {
      consecutiveAuthFailures: 0,
      needsLogin: false,
      lastError: null,
    });
  } else if (result.error === NO_CREDENTIAL) {
    updateHealth(db, result.accountId, result.takenAtMs, { needsLogin: true, lastError: "no stored login" });
  }
  return true;
}

/**
 * Polls the given accounts in parallel (bounded by the per-request timeout) and records all
 * results. Polls cut short by `options.signal` record nothing: the caller is going away.
 */
export async function sampleAccounts(
  env: Env,
  db: Db,
  accounts: AccountRow[],
  options: PollOptions = {},
): Promise<PollResult[]> {
  const budget = await import("./request-budget.ts");
  const nowMs = (options.now ?? Date.now)();
  // Automatic samples respect each account's hourly budget; the cached values stand in.
  const due = options.userAsked
    ? accounts
    : accounts.filter((a) => budget.withinBudget(db, env, a.id, nowMs));
  if (due.length === 0) return [];
  const { createCredentialStore } = await import("../secrets/index.ts");
  const store = createCredentialStore(env);
  const results = await Promise.all(due.map((a) => pollAccount(env, store, a, options)));
  const { writeTx } = await import("../store/db.ts");
  if (options.signal?.aborted) {
    // Nothing is recorded about the accounts, but the requests were sent.
    writeTx(db, () => {
      for (const r of results) if (r.requested) budget.noteRequests(db, env, r.accountId, [r.takenAtMs]);
    });
    return [];
  }
  writeTx(db, () => {
    for (const r of results) {
      recordPoll(db, r);
      if (r.requested) budget.noteRequests(db, env, r.accountId, [r.takenAtMs]);
    }
  });
  return results;
}
