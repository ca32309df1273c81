// The one protocol for changing a stored login (a refresh by the daemon or by `ccp run`, adopting
// or recovering a credential, deleting or keeping it when its account is removed), for both stores. It makes three rules hold:
//   1. a refresh token is spent only when its result can be stored,
//   2. an interrupted write is recovered,
//   3. a newer credential is never replaced by an older one.
//
// The steps, in order (each named step is also a fault point for tests/reliability/):
//   a. Take cc-pool's per-account lock, then Claude Code's `.oauth_refresh.lock` and the sibling
//      `<realpath(dir)>.lock` (see lock-dir.ts), so neither claude nor another cc-pool process
//      refreshes the same chain meanwhile.                                             ("locked")
//   b. Recover: a complete temp file left by an interrupted write (SIGKILL between the temp write
//      and the rename) whose chain is newer than the stored one becomes the stored credential;
//      every other leftover is removed, so no token stays outside `.credentials.json`.
//   c. Read the current blob and let the caller decide (fresh? rotated by someone else?).
//   d. Prepare everything that can fail: a temp file with space reserved and fsynced (a full
//      disk fails here), the Keychain reachable. Nothing has been spent yet.  ("before-request")
//   e. Spend the refresh token. A timeout or a connection lost after sending is "outcome
//      unknown", never "transient": the server may have rotated the chain. ("after-answer")
//   f. Compare-and-swap under claude's `.storage-write.lock`: re-read; if the stored chain changed
//      since (c), e.g. a `claude /login` wrote a new one, that one wins and ours is discarded.
//   g. Write: fill the reserved temp file, fsync, rename, fsync the dir.
//                                                       ("after-temp-write", "after-rename")
//   h. Release everything, always.
// Callers get a typed outcome and never touch the store themselves.
import { existsSync } from "node:fs";
import { isProcessAlive } from "../usage/lock-dir.ts";
import {
  acquireClaudeRefreshLocks,
  acquireLockDir,
  acquireStorageWriteLock,
  type HeldClaudeLocks,
  type HeldLock,
} from "../usage/lock-dir.ts";
import { redactSecrets } from "../usage/errors.ts";
import { faultPoint } from "./fault-points.ts";
import type { CredentialBlob, CredentialLeftover, CredentialStore, PreparedWrite } from "./types.ts";

export const OWN_LOCK_STALE_MS = 60_000;
/** Claude Code waits this long for its own refresh; cc-pool waits as long for the locks. */
export const DEFAULT_LOCK_WAIT_MS = 30_000;
/** A leftover younger than this whose writer is alive may still be renamed by it. */
const LIVE_LEFTOVER_MS = 60_000;
const STORAGE_LOCK_WAIT_MS = 20_000;

export interface RecoveryReport {
  /** A leftover was newer than the stored credential and now is the stored credential. */
  adopted: boolean;
  /** Leftovers removed (partial ones, older chains, the adopted one's siblings). */
  removed: number;
}

export type TransientKind =
  | "lock-busy"
  | "lock-failed"
  | "credential-store"
  | "rate-limited"
  | "unauthorized"
  | "network"
  | "server"
  | "contract"
  | "http";

/** What happened; never carries a token. Only `needs-login` means the account must log in again. */
export type CredentialOutcome = (
  | { status: "rotated"; newExpiresAtMs: number }
  | { status: "skipped-fresh"; reason: "fresh" | "rotated-elsewhere" | "no-refresh-token" }
  /** Someone stored a different chain while we refreshed: theirs was kept, ours discarded. */
  | { status: "kept-newer" }
  /** An interrupted write was recovered and nothing else was needed. */
  | { status: "recovered" }
  /** The request was sent but no answer came: the chain may have rotated. Nothing was changed. */
  | { status: "outcome-unknown"; message: string }
  | { status: "needs-login"; reason: "invalid-grant" }
  /** Nothing was spent (refused before sending, or an answer that rotates nothing). */
  | { status: "transient"; kind: TransientKind; message: string }
  | { status: "no-credential" }
) & { recovery?: RecoveryReport };

/** What the network step produced. */
export type SpendResult =
  | { kind: "blob"; blob: CredentialBlob; expiresAtMs: number }
  | { kind: "invalid-grant" }
  | { kind: "outcome"; outcome: CredentialOutcome };

/** The caller's decision once the current blob is known (after recovery, under the locks). */
export type Plan =
  | { kind: "done"; outcome: CredentialOutcome }
  | { kind: "spend"; reserveBytes: number; spend: () => Promise<SpendResult> };

export interface CredentialWriteOptions {
  /** The account's config dir, exactly as exported as CLAUDE_CONFIG_DIR. */
  configDir: string;
  store: CredentialStore;
  /** cc-pool's per-account lock dir, e.g. `$CCP_HOME/locks/acct-01.refresh.lock`. */
  lockPath: string;
  /** How long to wait for each lock. Default 30 s. */
  lockWaitMs?: number;
  claudeLockStaleMs?: number;
  ownLockStaleMs?: number;
  now?: () => number;
}

function messageOf(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

function transient(
  kind: TransientKind,
  message: string,
): Extract<CredentialOutcome, { status: "transient" }> {
  return { status: "transient", kind, message };
}

/** True when `after` holds a live chain that is not the one in `before`. */
export function chainChanged(before: CredentialBlob | undefined, after: CredentialBlob | undefined): boolean {
  const a = before?.claudeAiOauth;
  const b = after?.claudeAiOauth;
  if (!b?.accessToken) return false;
  return b.accessToken !== a?.accessToken || (b.refreshToken ?? "") !== (a?.refreshToken ?? "");
}

function isLive(blob: CredentialBlob | undefined): boolean {
  return Boolean(blob?.claudeAiOauth?.accessToken);
}

function expiryOf(blob: CredentialBlob | undefined): number {
  const at = blob?.claudeAiOauth?.expiresAt;
  return typeof at === "number" ? at : Number.NEGATIVE_INFINITY;
}

/**
 * Under the locks: makes the newest complete leftover the stored credential when it is newer than
 * what is stored, and removes every other leftover. Leftovers a live writer may still rename are
 * left alone.
 */
async function recoverLocked(
  store: CredentialStore,
  configDir: string,
  nowMs: number,
): Promise<RecoveryReport | undefined> {
  if (!store.leftovers) return undefined;
  const all = await store.leftovers(configDir);
  if (all.length === 0) return undefined;
  const settled = all.filter((l) => {
    if (nowMs - l.mtimeMs >= LIVE_LEFTOVER_MS) return true;
    if (l.pid === null) return false; // Claude Code's own, maybe mid-write: wait until it is old.
    return l.pid === process.pid || !isProcessAlive(l.pid);
  });
  if (settled.length === 0) return undefined;
  const storage = await acquireStorageWriteLock(configDir, STORAGE_LOCK_WAIT_MS);
  try {
    const current = await store.read(configDir).catch(() => undefined);
    let best: CredentialLeftover | undefined;
    for (const l of settled) {
      if (!isLive(l.blob) || !chainChanged(current, l.blob)) continue;
      if (isLive(current) && expiryOf(l.blob) <= expiryOf(current)) continue;
      if (!best || expiryOf(l.blob) > expiryOf(best.blob)) best = l;
    }
    let removed = 0;
    if (best && store.adoptLeftover) await store.adoptLeftover(configDir, best);
    else best = undefined;
    for (const l of settled) {
      if (l === best) continue;
      await store.removeLeftover?.(l);
      removed += 1;
    }
    return { adopted: best !== undefined, removed };
  } finally {
    await storage?.release().catch(() => undefined);
  }
}

type Locks = { own: HeldLock; claude: HeldClaudeLocks };

async function takeLocks(options: CredentialWriteOptions): Promise<Locks | CredentialOutcome> {
  const waitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  let own: HeldLock | null;
  try {
    own = await acquireLockDir({
      path: options.lockPath,
      staleMs: options.ownLockStaleMs ?? OWN_LOCK_STALE_MS,
      waitMs,
      pidFile: true,
      createParents: true,
    });
  } catch (error) {
    return transient("lock-failed", `Cannot take the refresh lock ${options.lockPath}: ${messageOf(error)}`);
  }
  if (!own)
    return transient(
      "lock-busy",
      `Another cc-pool process is refreshing this account (lock ${options.lockPath} is held).`,
    );
  try {
    const claude = await acquireClaudeRefreshLocks({
      configDir: options.configDir,
      waitMs,
      staleMs: options.claudeLockStaleMs,
    });
    if (claude) return { own, claude };
    await own.release().catch(() => undefined);
    return transient("lock-busy", "Claude Code is refreshing this account (its refresh lock is held).");
  } catch (error) {
    await own.release().catch(() => undefined);
    return transient(
      "lock-failed",
      `Cannot take Claude Code's refresh lock in ${options.configDir}: ${messageOf(error)}`,
    );
  }
}

/** Runs the protocol once. `plan` decides, under the locks, whether a refresh token is spent. */
export async function changeCredential(
  options: CredentialWriteOptions,
  plan: (current: CredentialBlob | undefined) => Plan | Promise<Plan>,
): Promise<CredentialOutcome> {
  const now = options.now ?? Date.now;
  const locks = await takeLocks(options);
  if ("status" in locks) return locks;
  let recovery: RecoveryReport | undefined;
  const withRecovery = (outcome: CredentialOutcome): CredentialOutcome =>
    recovery ? { ...outcome, recovery } : outcome;
  try {
    await faultPoint("locked");
    try {
      recovery = await recoverLocked(options.store, options.configDir, now());
    } catch (error) {
      return transient("credential-store", `Cannot recover an interrupted write: ${messageOf(error)}`);
    }
    let current: CredentialBlob | undefined;
    try {
      current = await options.store.read(options.configDir);
    } catch (error) {
      return transient("credential-store", messageOf(error));
    }
    const decision = await plan(current);
    if (decision.kind === "done") {
      const outcome = decision.outcome;
      if (recovery?.adopted && outcome.status === "skipped-fresh")
        return withRecovery({ status: "recovered" });
      return withRecovery(outcome);
    }
    return withRecovery(await spendAndStore(options, current, decision));
  } finally {
    await locks.claude.release().catch(() => undefined);
    await locks.own.release().catch(() => undefined);
  }
}

async function spendAndStore(
  options: CredentialWriteOptions,
  current: CredentialBlob | undefined,
  decision: Extract<Plan, { kind: "spend" }>,
): Promise<CredentialOutcome> {
  const { store, configDir } = options;
  let prepared: PreparedWrite;
  try {
    prepared = store.prepareWrite
      ? await store.prepareWrite(configDir, decision.reserveBytes)
      : memoryWrite(store, configDir);
  } catch (error) {
    return transient(
      "credential-store",
      `No refresh was attempted: the new token could not be stored (${messageOf(error)}).`,
    );
  }
  let committed = false;
  try {
    await faultPoint("before-request");
    const result = await decision.spend();
    await faultPoint("after-answer");
    if (result.kind === "outcome") return result.outcome;
    if (result.kind === "blob") {
      // Durable at once: from here a crash leaves a complete copy for the next access to recover.
      try {
        await prepared.stage(result.blob);
      } catch (error) {
        return transient(
          "credential-store",
          `The token was refreshed but could not be saved: ${messageOf(error)}`,
        );
      }
    }
    // Compare-and-swap: a chain stored by someone else meanwhile (a `claude /login`, a writer that
    // ignores the locks) is newer than ours by definition and is kept. The token is spent by now:
    // if claude's storage lock cannot be had within the wait, the swap goes ahead without it
    // rather than lose the new pair.
    const storage = await acquireStorageWriteLock(configDir, STORAGE_LOCK_WAIT_MS).catch(() => null);
    try {
      let now: CredentialBlob | undefined;
      try {
        now = await store.read(configDir);
      } catch {
        now = undefined;
      }
      if (chainChanged(current, now)) return { status: "kept-newer" };
      if (result.kind === "invalid-grant") return { status: "needs-login", reason: "invalid-grant" };
      try {
        await prepared.commit();
        committed = true;
      } catch (error) {
        return transient(
          "credential-store",
          `The token was refreshed but could not be saved: ${messageOf(error)}`,
        );
      }
      return { status: "rotated", newExpiresAtMs: result.expiresAtMs };
    } finally {
      await storage?.release().catch(() => undefined);
    }
  } finally {
    if (!committed) await prepared.discard().catch(() => undefined);
  }
}

/** For a store without prepareWrite (test stand-ins): the blob is written at commit time. */
function memoryWrite(store: CredentialStore, configDir: string): PreparedWrite {
  let staged: CredentialBlob | undefined;
  return {
    stage: async (blob) => {
      staged = blob;
    },
    commit: async () => {
      if (staged) await store.write(configDir, staged);
    },
    discard: async () => {
      staged = undefined;
    },
  };
}

/** What retiring an account's stored login did; never carries a token. */
export type RetireOutcome =
  | { status: "retired"; recovery?: RecoveryReport }
  | Extract<CredentialOutcome, { status: "transient" }>;

/**
 * An account leaves the pool (`ccp remove`): its stored login is deleted, or kept on its own
 * (`--keep-credential`, where `prune` removes everything else of the account that must go while
 * the store is still ours). Runs under the same locks as a refresh, so a refresh in flight ends
 * first and its new pair is what stays; an interrupted write is recovered into the store before
 * anything around it is removed, so the newest chain is the one kept and no copy is left behind.
 * `prune` must leave Claude Code's lock entries alone: they are released (removed) afterwards.
 */
export async function retireCredential(
  options: CredentialWriteOptions,
  action: { keep: true; prune?: () => void | Promise<void> } | { keep: false },
): Promise<RetireOutcome> {
  const now = options.now ?? Date.now;
  if (!existsSync(options.configDir)) {
    // No dir, no refresh: nobody can take Claude Code's locks in it. Only a Keychain item is left.
    if (action.keep) return { status: "retired" };
    try {
      await options.store.delete(options.configDir);
    } catch (error) {
      return transient("credential-store", messageOf(error));
    }
    return { status: "retired" };
  }
  const locks = await takeLocks(options);
  if ("status" in locks) return locks as Extract<CredentialOutcome, { status: "transient" }>;
  try {
    let recovery: RecoveryReport | undefined;
    try {
      recovery = await recoverLocked(options.store, options.configDir, now());
    } catch (error) {
      return transient("credential-store", `Cannot recover an interrupted write: ${messageOf(error)}`);
    }
    try {
      if (action.keep) await action.prune?.();
      else await options.store.delete(options.configDir);
    } catch (error) {
      return transient("credential-store", messageOf(error));
    }
    return recovery ? { status: "retired", recovery } : { status: "retired" };
  } finally {
    await locks.claude.release().catch(() => undefined);
    await locks.own.release().catch(() => undefined);
  }
}

/**
 * Recovers an interrupted write on access, cheaply: one directory listing when there is nothing
 * to recover; the full protocol (locks included) only when a leftover exists.
 */
export async function recoverIfInterrupted(
  options: CredentialWriteOptions,
): Promise<CredentialOutcome | undefined> {
  if (!options.store.leftovers) return undefined;
  let found: CredentialLeftover[];
  try {
    found = await options.store.leftovers(options.configDir);
  } catch {
    return undefined;
  }
  if (found.length === 0) return undefined;
  const outcome = await changeCredential({ ...options, lockWaitMs: options.lockWaitMs ?? 5_000 }, () => ({
    kind: "done",
    outcome: { status: "skipped-fresh", reason: "fresh" },
  }));
  return outcome.recovery ? outcome : undefined;
}
