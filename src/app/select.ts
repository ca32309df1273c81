// The choice of account for a launch: read the pool, sample live when the cached data is too old
// and no daemon keeps it fresh, score (pure), and record the decision in the same write
// transaction so concurrent launches see each other.
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { BURN_WINDOW_MS } from "../score/constants.ts";
import { decide, soonestRecoveryMs } from "../score/decide.ts";
import type { AccountState, Decision, ScoredAccount } from "../score/types.ts";
import {
  type AccountRow,
  listAccounts,
  listUnsampledAccounts,
  resolveAccount,
  toRow,
} from "../store/accounts.ts";
import { type Db, writeTx } from "../store/db.ts";
import { heartbeatIsLive, launchGlance } from "../store/meta.ts";
import {
  type OpenSession,
  type SessionKind,
  getPin,
  insertSession,
  isReservation,
  liveSessions,
  setPin,
} from "../store/sessions.ts";
import { newestSamples, parseBuckets, poolRows } from "../store/usage.ts";
import { safeText } from "../ui/safe-text.ts";
import { isFromTheFuture } from "../clock-skew.ts";

// What `ccp select` needs besides the pick, so that it loads with one import.
export { openExistingPool } from "./pool.ts";

/**
 * A `ccp select`/`ccp env` reservation lives this long, or until the daemon sees the claude it
 * launched. It only keeps concurrent launches apart: it is shown as "reserved", never as live.
 */
export const RESERVATION_TTL_MS = 2 * 60_000;
/**
 * While `--wait` waits, an exhausted account is sampled live at most this often (or as often as
 * CCP_POLL_INTERVAL, when that is shorter), so headroom is seen within a minute rather than at the
 * daemon's next sweep. A 429 backs it off to `WAIT_RATE_LIMITED_BACKOFF_MS`.
 */
export const WAIT_SAMPLE_EVERY_MS = 60_000;
export const WAIT_RATE_LIMITED_BACKOFF_MS = 3 * 60_000;
/** Live samples taken on the hot path give up after this. */
export const LIVE_SAMPLE_TIMEOUT_MS = 5_000;
const NO_CREDENTIAL = "no-credential";

export interface PoolSnapshot {
  /** Every account's row, made on first read (a pick needs one: `account(id)`). */
  readonly accounts: AccountRow[];
  states: AccountState[];
  sessions: OpenSession[];
  account(id: number): AccountRow | undefined;
}

const NO_HISTORY: readonly [] = [];

/** Everything the score needs, read in one go. */
export function readPool(db: Db, nowMs: number): PoolSnapshot {
  const rows = poolRows(db);
  const sessions = liveSessions(db, nowMs);
  const sessionsPerAccount = new Map<number, number>();
  const reservedPerAccount = new Map<number, number>();
  for (const s of sessions) {
    const counts = isReservation(s) ? reservedPerAccount : sessionsPerAccount;
    counts.set(s.accountId, (counts.get(s.accountId) ?? 0) + 1);
  }
  const states: AccountState[] = [];
  for (const r of rows) {
    const goodAtMs = r.good_at_ms;
    // The stored burn rate holds as long as its sample is inside the burn window.
    const burnFresh = goodAtMs !== null && nowMs - goodAtMs <= BURN_WINDOW_MS;
    states.push({
      id: r.id,
      name: r.name,
      latest:
        goodAtMs === null
          ? null
          : {
              takenAtMs: goodAtMs,
              util5Pct: r.util5_pct,
              reset5AtMs: r.reset5_at_ms,
              util7Pct: r.util7_pct,
              reset7AtMs: r.reset7_at_ms,
              scoped7:
                r.scoped7_pct === null
                  ? null
                  : { pct: r.scoped7_pct, resetAtMs: r.scoped7_reset_at_ms, model: r.scoped7_model ?? "" },
              scoped7Buckets:
                r.scoped7_buckets === null ? undefined : (parseBuckets(r.scoped7_buckets) ?? undefined),
            },
      history: NO_HISTORY,
      burn5PctPerHour: burnFresh ? (r.burn5_pct_per_hour ?? 0) : 0,
      rateLimited: r.newest_status === "rate_limited",
      needsLogin:
        r.needs_login === 1 || (r.newest_status === "unauthorized" && r.newest_error === NO_CREDENTIAL),
      refreshFailed: r.refresh_failed === 1,
      activeSessions: sessionsPerAccount.get(r.id) ?? 0,
      reservedSessions: reservedPerAccount.get(r.id) ?? 0,
    });
  }
  let accounts: AccountRow[] | undefined;
  return {
    get accounts(): AccountRow[] {
      accounts ??= rows.map((r) => toRow(r));
      return accounts;
    },
    states,
    sessions,
    account(id) {
      const row = rows.find((r) => r.id === id);
      return row === undefined ? undefined : toRow(row);
    },
  };
}

/** Accounts whose newest sample (of any outcome) is older than `freshMs`. */
export function accountsNeedingSample(db: Db, nowMs: number, freshMs: number): AccountRow[] {
  const newest = newestSamples(db);
  return listAccounts(db).filter((a) => {
    const n = newest.get(a.id);
    return !n || nowMs - n.takenAtMs > freshMs || isFromTheFuture(n.takenAtMs, nowMs);
  });
}

function waitSampleEveryMs(env: Env): number {
  return Math.min(WAIT_SAMPLE_EVERY_MS, env.pollIntervalMs ?? WAIT_SAMPLE_EVERY_MS);
}

/** When each account that could recover by itself may next be sampled while waiting. */
function waitSampleTimes(env: Env, db: Db, ranked: readonly ScoredAccount[]): Map<number, number> {
  const newest = newestSamples(db);
  const out = new Map<number, number>();
  for (const a of ranked) {
    if (a.needsLogin) continue;
    const n = newest.get(a.id);
    if (!n) {
      out.set(a.id, 0);
      continue;
    }
    const gap = n.status === "rate_limited" ? WAIT_RATE_LIMITED_BACKOFF_MS : waitSampleEveryMs(env);
    out.set(a.id, n.takenAtMs + gap);
  }
  return out;
}

/** Accounts with no poll recorded at all: a score for them would be a blind guess. */
export function accountsNeverSampled(db: Db): AccountRow[] {
  // One query that usually returns nothing: the hot path does not read every summary for it.
  return listUnsampledAccounts(db);
}

export interface SelectOptions {
  /** Account id or name to force. */
  forced?: string;
  wait: boolean;
  noDaemon: boolean;
  freshMs: number;
  cwd: string;
  kind: SessionKind;
  /** The process that owns the session (the shim), or null for a reservation. */
  pid: number | null;
  /** Called each time --wait goes back to sleep: until when, and what it waits for. */
  onWait?: (wakeAtMs: number, ranked: ScoredAccount[], recoveryAtMs: number | null) => void;
  now?: () => number;
}

export type Picked = Extract<Decision, { account: ScoredAccount }>;

export interface Selection {
  decision: Picked;
  account: AccountRow;
  sessionId: number;
}

function noneError(decision: Extract<Decision, { kind: "none" }>): CcpError {
  const hint =
    decision.reason === "empty-pool"
      ? "Run `ccp add` to add your first subscription."
      : decision.reason === "needs-login"
        ? "Run `ccp doctor` to see which accounts need a new login."
        : "Run `ccp status` to see every account; `ccp select --wait` waits for headroom.";
  return new CcpError(decision.reason === "empty-pool" ? "no-accounts" : "failure", decision.message, {
    hint,
  });
}

export async function selectAccount(env: Env, db: Db, options: SelectOptions): Promise<Selection> {
  const now = options.now ?? Date.now;
  const forcedRow = options.forced === undefined ? undefined : resolveAccount(db, options.forced);
  let daemonStarted = false;
  let loginsRechecked = false;
  for (;;) {
    const glance = launchGlance(db);
    const sampleNow = options.noDaemon || !heartbeatIsLive(glance.heartbeat, now());
    if (sampleNow) {
      const stale = accountsNeedingSample(db, now(), options.freshMs);
      if (stale.length > 0) {
        const { sampleAccounts } = await import("./sample.ts");
        await sampleAccounts(env, db, stale, { timeoutMs: LIVE_SAMPLE_TIMEOUT_MS });
      }
      // After the live samples, so the new daemon finds them fresh and does not poll again at once.
      if (!options.noDaemon && !daemonStarted) {
        daemonStarted = true;
        const { maybeStartDaemon } = await import("../daemon/spawn.ts");
        maybeStartDaemon(env, db, now());
      }
    } else {
      // The daemon keeps known accounts fresh, but one just added (or never reached) would rank
      // blind until its next sweep: sample those now, bounded like any live sample.
      const unsampled = glance.anyUnsampled ? accountsNeverSampled(db) : [];
      if (unsampled.length > 0) {
        const { sampleAccounts } = await import("./sample.ts");
        await sampleAccounts(env, db, unsampled, { timeoutMs: LIVE_SAMPLE_TIMEOUT_MS });
      }
    }
    const outcome = writeTx(db, () => {
      const nowMs = now();
      const pool = readPool(db, nowMs);
      const pinRow = forcedRow ? undefined : getPin(db, options.cwd);
      const pin = pinRow
        ? {
            accountId: pinRow.accountId,
            updatedAtMs: pinRow.updatedAtMs,
            // A pin set by hand (`p` in the dashboard) holds until it is removed, like a live one.
            live:
              pinRow.manual ||
              pool.sessions.some((s) => s.cwd === options.cwd && s.accountId === pinRow.accountId),
          }
        : null;
      const decision = decide({
        accounts: pool.states,
        nowMs,
        forcedId: forcedRow?.id ?? null,
        pin,
        wait: options.wait,
      });
      if (decision.kind === "wait" || decision.kind === "none") return { decision };
      const account = pool.account(decision.account.id) as AccountRow;
      const sessionId = insertSession(db, {
        accountId: account.id,
        kind: options.kind,
        pid: options.pid,
        cwd: options.cwd,
        startedAtMs: nowMs,
        expiresAtMs: options.pid === null ? nowMs + RESERVATION_TTL_MS : null,
      });
      // A forced launch does not move the directory's pin.
      if (decision.kind !== "forced") {
        setPin(db, options.cwd, account.id, nowMs, decision.kind === "pinned" && Boolean(pinRow?.manual));
      }
      return { decision, account, sessionId };
    });
    const { decision } = outcome;
    if (decision.kind === "none" && decision.reason === "needs-login" && !loginsRechecked) {
      // A login repaired by hand would otherwise stay refused until the daemon's slow re-check:
      // look once more, live and bounded, before refusing.
      loginsRechecked = true;
      const { sampleAccounts } = await import("./sample.ts");
      await sampleAccounts(env, db, listAccounts(db), { timeoutMs: LIVE_SAMPLE_TIMEOUT_MS });
      continue;
    }
    if (decision.kind === "none") throw noneError(decision);
    if (decision.kind === "wait") {
      // Re-sample live (politely) instead of waiting for the daemon's next sweep.
      const times = waitSampleTimes(env, db, decision.ranked);
      const nowMs = now();
      const due = listAccounts(db).filter((a) => (times.get(a.id) ?? Number.POSITIVE_INFINITY) <= nowMs);
      if (due.length > 0) {
        const { sampleAccounts } = await import("./sample.ts");
        await sampleAccounts(env, db, due, { timeoutMs: LIVE_SAMPLE_TIMEOUT_MS });
        continue;
      }
      const nextSampleMs = Math.min(...times.values());
      const wakeAtMs = Math.min(decision.wakeAtMs, nextSampleMs);
      options.onWait?.(wakeAtMs, decision.ranked, soonestRecoveryMs(decision.ranked, nowMs));
      await Bun.sleep(Math.max(250, wakeAtMs - now()));
      continue;
    }
    return {
      decision,
      account: outcome.account as AccountRow,
      sessionId: outcome.sessionId as number,
    };
  }
}

export function formatPct(value: number): string {
  return `${Math.round(value)}%`;
}

/** The per-model weekly limit that binds tighter than the 7d window, as ` · Sonnet limit 90% used`. */
function scopedText(a: ScoredAccount): string {
  if (!a.scoped7Binds || a.scoped7 === null) return "";
  return ` · ${a.scoped7.model || "model"} limit ${formatPct(a.scoped7.pct)} used`;
}

/** The line `run` (and `select` on a terminal) prints about its choice. */
export function announceLine(selection: Selection): string {
  const { decision, account } = selection;
  if (decision.kind === "pinned") return `Reusing ${safeText(account.name)} (pinned)`;
  const a = decision.account;
  const usage =
    a.sampledAtMs === null
      ? "no usage data yet"
      : `5h ${formatPct(a.util5Pct)} used · 7d ${formatPct(a.util7Pct)} used${scopedText(a)}`;
  const verb = decision.kind === "forced" ? "Using" : "Selected";
  return `${verb} ${safeText(account.name)} · ${usage}`;
}
