// The status view's model: plain data built from the database and `now`, shared by the dashboard,
// the plain table and --json. Rendering lives in src/ui/status/.
import type { Env } from "../env.ts";
import { DISPLAY_STALE_AFTER_MS, HOUR_MS } from "../score/constants.ts";
import { decide } from "../score/decide.ts";
import { forecastAccount } from "../score/forecast.ts";
import type { Forecast, PinBreakReason, ScoredAccount, StaleReason } from "../score/types.ts";
import { type AccountRow, listAccounts } from "../store/accounts.ts";
import { type Db, writeTx } from "../store/db.ts";
import { daemonAlive } from "../store/meta.ts";
import { deletePin, getPin, isReservation, setPin } from "../store/sessions.ts";
import { type SampleStatus, type UsageSampleRow, goodSamplesSince, newestSamples } from "../store/usage.ts";
import type { PollResult } from "./sample.ts";
import { LIVE_SAMPLE_TIMEOUT_MS, accountsNeedingSample, readPool } from "./select.ts";

/** Without a daemon, data older than this is sampled live before it is shown (the rule of `select`). */
export const STATUS_FRESH_MS = 60_000;
/** How far back the 5h sparkline reaches. */
export const SPARK_SPAN_MS = 5 * HOUR_MS;

export interface HistoryPoint {
  takenAtMs: number;
  util5Pct: number;
}

export interface LastPoll {
  atMs: number;
  status: SampleStatus;
  /** Token-free description of a failed poll; null when it succeeded. */
  error: string | null;
}

/**
 * One account as `status` shows it: its score as ranked (every term and figure of ScoredAccount),
 * with utilizations that stay null when unknown, the display's notion of stale (no good sample for
 * 5 min, where the score already docks after 90 s), and what only the display needs.
 */
export interface StatusAccount extends Omit<ScoredAccount, "util5Pct" | "util7Pct"> {
  email: string | null;
  orgName: string | null;
  configDir: string;
  /** 1-based position in the ranking. */
  rank: number;
  /** The account the next launch from `cwd` would use. */
  next: boolean;
  /** The pin of `cwd` points at this account (alive or not: see `StatusModel.pin`). */
  pinnedHere: boolean;
  /** Percent used; null when never sampled or the window was missing from the payload. */
  util5Pct: number | null;
  util7Pct: number | null;
  forecast: Forecast;
  lastPoll: LastPoll | null;
  /** Good 5h samples of the last `SPARK_SPAN_MS`, oldest first. */
  history: HistoryPoint[];
}

export interface StatusPin {
  accountId: number;
  manual: boolean;
  updatedAtMs: number;
  /** The pin would hold for a launch now; otherwise `reason` says why not. */
  kept: boolean;
  reason: PinBreakReason | null;
}

export type NextKind = "selected" | "pinned" | "fallback";

export interface StatusTotals {
  accounts: number;
  available: number;
  exhausted: number;
  liveSessions: number;
  /** Mean over sampled accounts; null when none was sampled. */
  avg5Pct: number | null;
  avg7Pct: number | null;
}

export interface StatusModel {
  generatedAtMs: number;
  cwd: string;
  daemonAlive: boolean;
  /** In rank order. */
  accounts: StatusAccount[];
  next: { accountId: number; kind: NextKind } | null;
  /** Loud note about the next pick (every account exhausted), or why there is none. */
  warning: string | null;
  pin: StatusPin | null;
  /** Newest good sample of any account. */
  dataAtMs: number | null;
  totals: StatusTotals;
}

export function emptyStatusModel(nowMs: number, cwd: string): StatusModel {
  return {
    generatedAtMs: nowMs,
    cwd,
    daemonAlive: false,
    accounts: [],
    next: null,
    warning: null,
    pin: null,
    dataAtMs: null,
    totals: { accounts: 0, available: 0, exhausted: 0, liveSessions: 0, avg5Pct: null, avg7Pct: null },
  };
}

function displayStaleReason(a: ScoredAccount, nowMs: number): StaleReason | null {
  if (a.staleReason === "never-sampled" || a.staleReason === "refresh-failed") return a.staleReason;
  if (a.sampledAtMs !== null && nowMs - a.sampledAtMs > DISPLAY_STALE_AFTER_MS) return "old-sample";
  return null;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

export interface StatusModelOptions {
  /**
   * Read the sparkline's samples (default true). Only the dashboard draws them; the plain table
   * and --json leave every account's `history` empty and skip the read.
   */
  history?: boolean;
}

/** Reads the pool and scores it at `nowMs`, as seen from `cwd` (whose pin decides the next pick). */
export function buildStatusModel(
  db: Db,
  nowMs: number,
  cwd: string,
  options: StatusModelOptions = {},
): StatusModel {
  const pool = readPool(db, nowMs);
  if (pool.accounts.length === 0)
    return { ...emptyStatusModel(nowMs, cwd), daemonAlive: daemonAlive(db, nowMs) };
  const pinRow = getPin(db, cwd);
  const decision = decide({
    accounts: pool.states,
    nowMs,
    pin: pinRow
      ? {
          accountId: pinRow.accountId,
          updatedAtMs: pinRow.updatedAtMs,
          live: pinRow.manual || pool.sessions.some((s) => s.cwd === cwd && s.accountId === pinRow.accountId),
        }
      : null,
  });
  const rows = new Map(pool.accounts.map((a) => [a.id, a]));
  const states = new Map(pool.states.map((s) => [s.id, s]));
  const newest = newestSamples(db);
  const history =
    options.history === false
      ? new Map<number, UsageSampleRow[]>()
      : goodSamplesSince(db, nowMs - SPARK_SPAN_MS);
  const nextId = "account" in decision ? decision.account.id : null;

  const accounts = decision.ranked.map((s, i): StatusAccount => {
    const row = rows.get(s.id) as AccountRow;
    const latest = states.get(s.id)?.latest ?? null;
    const poll = newest.get(s.id);
    const staleReason = displayStaleReason(s, nowMs);
    return {
      ...s,
      name: row.name,
      email: row.email,
      orgName: row.orgName,
      configDir: row.configDir,
      rank: i + 1,
      next: s.id === nextId,
      pinnedHere: pinRow?.accountId === s.id,
      stale: staleReason !== null,
      staleReason,
      // The scored figure is 0 past a known reset: show the new window, not the finished one.
      util5Pct: latest?.util5Pct == null ? null : s.util5Pct,
      util7Pct: latest?.util7Pct == null ? null : s.util7Pct,
      forecast: forecastAccount(s, nowMs),
      lastPoll: poll ? { atMs: poll.takenAtMs, status: poll.status, error: poll.error } : null,
      history: (history.get(s.id) ?? [])
        .filter((h) => h.util5Pct !== null)
        .map((h) => ({ takenAtMs: h.takenAtMs, util5Pct: h.util5Pct as number })),
    };
  });

  const sampled = accounts.filter((a) => a.sampledAtMs !== null);
  const dataTimes = sampled.map((a) => a.sampledAtMs as number);
  return {
    generatedAtMs: nowMs,
    cwd,
    daemonAlive: daemonAlive(db, nowMs),
    accounts,
    next:
      "account" in decision && decision.kind !== "forced"
        ? { accountId: decision.account.id, kind: decision.kind }
        : null,
    warning: "account" in decision ? decision.warning : decision.kind === "none" ? decision.message : null,
    pin: pinRow
      ? {
          accountId: pinRow.accountId,
          manual: pinRow.manual,
          updatedAtMs: pinRow.updatedAtMs,
          kept: decision.pin?.kept ?? false,
          reason: decision.pin && !decision.pin.kept ? decision.pin.reason : null,
        }
      : null,
    dataAtMs: dataTimes.length === 0 ? null : Math.max(...dataTimes),
    totals: {
      accounts: accounts.length,
      available: accounts.filter((a) => a.available).length,
      exhausted: accounts.filter((a) => a.exhausted).length,
      liveSessions: pool.sessions.filter((s) => !isReservation(s)).length,
      avg5Pct: mean(sampled.filter((a) => a.util5Pct !== null).map((a) => a.util5Pct as number)),
      avg7Pct: mean(sampled.filter((a) => a.util7Pct !== null).map((a) => a.util7Pct as number)),
    },
  };
}

export interface SampleDueOptions {
  /** `--live`: sample even while a daemon keeps the data fresh. */
  live: boolean;
  /** Sample every account regardless of age (`--live` at start, the `r` key). */
  force?: boolean;
}

/**
 * The accounts to sample before showing data: all of them when forced; otherwise, when `--live`
 * is set or no daemon is alive, those whose newest sample is older than `STATUS_FRESH_MS`.
 */
export function accountsToSample(db: Db, nowMs: number, options: SampleDueOptions): AccountRow[] {
  if (options.force) return listAccounts(db);
  if (!options.live && daemonAlive(db, nowMs)) return [];
  return accountsNeedingSample(db, nowMs, STATUS_FRESH_MS);
}

/**
 * Samples the accounts that are due and records the outcomes; resolves to the poll results (empty
 * when none was due). An aborted run records nothing: a poll cut short says nothing about the account.
 */
export async function sampleDue(
  env: Env,
  db: Db,
  options: SampleDueOptions & { now?: () => number; signal?: AbortSignal },
): Promise<PollResult[]> {
  const due = accountsToSample(db, (options.now ?? Date.now)(), options);
  // Nothing due (a daemon keeps the data fresh): the HTTP and credential code is not even loaded.
  if (due.length === 0) return [];
  const { sampleAccounts } = await import("./sample.ts");
  return sampleAccounts(env, db, due, {
    userAsked: options.live || options.force === true,
    timeoutMs: LIVE_SAMPLE_TIMEOUT_MS,
    now: options.now,
    signal: options.signal,
  });
}

export type PinToggle = { kind: "pinned"; accountId: number } | { kind: "unpinned"; accountId: number };

/**
 * The `p` key: pins `cwd` to the account by hand, or removes the pin when it already holds for that
 * account. A pin that points there but no longer holds (expired) is renewed instead.
 */
export function togglePin(db: Db, cwd: string, accountId: number, nowMs: number, holds: boolean): PinToggle {
  return writeTx(db, () => {
    const current = getPin(db, cwd);
    if (current?.accountId === accountId && holds) {
      deletePin(db, cwd);
      return { kind: "unpinned", accountId };
    }
    setPin(db, cwd, accountId, nowMs, true);
    return { kind: "pinned", accountId };
  });
}
