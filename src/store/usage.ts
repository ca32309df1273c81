import { burnRate5h } from "../score/burn-rate.ts";
import { BURN_WINDOW_MS } from "../score/constants.ts";
import type { BurnSample, ScopedWeekly } from "../score/types.ts";
import type { Db } from "./db.ts";
import { FUTURE_SKEW_MS } from "../clock-skew.ts";
import type { RawAccount } from "./accounts.ts";

export type SampleStatus = "ok" | "rate_limited" | "unauthorized" | "error";

export interface UsageSampleRow {
  accountId: number;
  takenAtMs: number;
  status: SampleStatus;
  util5Pct: number | null;
  reset5AtMs: number | null;
  util7Pct: number | null;
  reset7AtMs: number | null;
  scoped7Pct: number | null;
  scoped7ResetAtMs: number | null;
  scoped7Model: string | null;
  /** Every per-model weekly bucket of the sample; absent or null when it had none (or predates them). */
  scoped7Buckets?: ScopedWeekly[] | null;
  extraUsageEnabled: boolean | null;
  error: string | null;
}

interface RawSample {
  account_id: number;
  taken_at_ms: number;
  status: SampleStatus;
  util5_pct: number | null;
  reset5_at_ms: number | null;
  util7_pct: number | null;
  reset7_at_ms: number | null;
  scoped7_pct: number | null;
  scoped7_reset_at_ms: number | null;
  scoped7_model: string | null;
  scoped7_buckets?: string | null;
  extra_usage_enabled: number | null;
  error: string | null;
}

/** The stored bucket list; anything that does not read back as one is dropped, never fatal. */
export function parseBuckets(text: string | null | undefined): ScopedWeekly[] | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return null;
    const out = value.filter(
      (b): b is ScopedWeekly =>
        b !== null &&
        typeof b === "object" &&
        typeof b.pct === "number" &&
        Number.isFinite(b.pct) &&
        (b.resetAtMs === null || typeof b.resetAtMs === "number") &&
        typeof b.model === "string",
    );
    return out.length > 0 ? out.map((b) => ({ pct: b.pct, resetAtMs: b.resetAtMs, model: b.model })) : null;
  } catch {
    return null;
  }
}

function bucketsText(buckets: ScopedWeekly[] | null | undefined): string | null {
  return buckets && buckets.length > 0 ? JSON.stringify(buckets) : null;
}

function toRow(r: RawSample): UsageSampleRow {
  return {
    accountId: r.account_id,
    takenAtMs: r.taken_at_ms,
    status: r.status,
    util5Pct: r.util5_pct,
    reset5AtMs: r.reset5_at_ms,
    util7Pct: r.util7_pct,
    reset7AtMs: r.reset7_at_ms,
    scoped7Pct: r.scoped7_pct,
    scoped7ResetAtMs: r.scoped7_reset_at_ms,
    scoped7Model: r.scoped7_model,
    scoped7Buckets: parseBuckets(r.scoped7_buckets),
    extraUsageEnabled: r.extra_usage_enabled === null ? null : r.extra_usage_enabled === 1,
    error: r.error,
  };
}

/**
 * `nowMs` (the wall clock, when the caller knows it) lets a fresh sample replace a summary dated
 * in the future by more than the skew: such a row was written under a wrong clock.
 */
export function insertSample(db: Db, s: UsageSampleRow, nowMs?: number): void {
  db.run(
    `INSERT INTO usage_samples (account_id, taken_at_ms, status, util5_pct, reset5_at_ms, util7_pct, reset7_at_ms,
       scoped7_pct, scoped7_reset_at_ms, scoped7_model, scoped7_buckets, extra_usage_enabled, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      s.accountId,
      s.takenAtMs,
      s.status,
      s.util5Pct,
      s.reset5AtMs,
      s.util7Pct,
      s.reset7AtMs,
      s.scoped7Pct,
      s.scoped7ResetAtMs,
      s.scoped7Model,
      bucketsText(s.scoped7Buckets),
      s.extraUsageEnabled === null ? null : s.extraUsageEnabled ? 1 : 0,
      s.error,
    ],
  );
  updateLatest(db, s, nowMs);
}

/** An account_usage row, its good half read under the sample column names so toRow maps it. */
interface RawLatest extends Omit<RawSample, "taken_at_ms"> {
  taken_at_ms: number | null;
  newest_at_ms: number;
  newest_status: SampleStatus;
  newest_error: string | null;
  burn5_pct_per_hour: number | null;
}

/** Per account: its newest sample, its newest good one, and the 5h burn rate as of that one. */
export interface LatestUsage {
  newest: UsageSampleRow;
  good: UsageSampleRow | null;
  /** Percent per hour, computed when the good sample was recorded; null before the first. */
  burn5PctPerHour: number | null;
}

/** One read of the per-account summary that insertSample maintains. */
export function latestUsage(db: Db): Map<number, LatestUsage> {
  const rows = db
    .query<RawLatest, []>(
      `SELECT account_id, good_at_ms AS taken_at_ms, 'ok' AS status, util5_pct, reset5_at_ms, util7_pct,
         reset7_at_ms, scoped7_pct, scoped7_reset_at_ms, scoped7_model, scoped7_buckets, extra_usage_enabled,
         NULL AS error,
         newest_at_ms, newest_status, newest_error, burn5_pct_per_hour
       FROM account_usage`,
    )
    .all();
  const out = new Map<number, LatestUsage>();
  for (const r of rows) {
    const good = r.taken_at_ms === null ? null : toRow(r as RawSample);
    const newestIsGood = good !== null && r.newest_status === "ok" && r.newest_at_ms === good.takenAtMs;
    // A failed newest poll carries no values: the last good ones are in `good`.
    // A good newest sample keeps its note (values the parser corrected).
    const newest = newestIsGood
      ? { ...good, error: r.newest_error }
      : toRow({
          account_id: r.account_id,
          taken_at_ms: r.newest_at_ms,
          status: r.newest_status,
          util5_pct: null,
          reset5_at_ms: null,
          util7_pct: null,
          reset7_at_ms: null,
          scoped7_pct: null,
          scoped7_reset_at_ms: null,
          scoped7_model: null,
          extra_usage_enabled: null,
          error: r.newest_error,
        });
    out.set(r.account_id, { newest, good, burn5PctPerHour: r.burn5_pct_per_hour });
  }
  return out;
}

/** The newest sample of each account, whatever its status (values only when it was good). */
export function newestSamples(db: Db): Map<number, UsageSampleRow> {
  return new Map([...latestUsage(db)].map(([id, l]) => [id, l.newest]));
}

/** Good 5h readings of one account in `[fromMs, toMs]`, for its burn rate. */
function burnHistory(db: Db, accountId: number, fromMs: number, toMs: number): BurnSample[] {
  const rows = db
    .query<[number, number, number | null], [number, number, number]>(
      `SELECT taken_at_ms, util5_pct, reset5_at_ms FROM usage_samples
       WHERE account_id = ? AND taken_at_ms BETWEEN ? AND ? AND status = 'ok' AND util5_pct IS NOT NULL`,
    )
    .values(accountId, fromMs, toMs) as Array<[number, number, number | null]>;
  return rows.map(([takenAtMs, util5Pct, reset5AtMs]) => ({ takenAtMs, util5Pct, reset5AtMs }));
}

/** Keeps account_usage in step with a sample just inserted (call in the same transaction). */
function updateLatest(db: Db, s: UsageSampleRow, nowMs: number | undefined): void {
  const futureAfterMs = nowMs === undefined ? Number.MAX_SAFE_INTEGER : nowMs + FUTURE_SKEW_MS;
  db.run(
    `INSERT INTO account_usage (account_id, newest_at_ms, newest_status, newest_error) VALUES (?, ?, ?, ?)
     ON CONFLICT(account_id) DO UPDATE SET newest_at_ms = excluded.newest_at_ms,
       newest_status = excluded.newest_status, newest_error = excluded.newest_error
     WHERE excluded.newest_at_ms >= account_usage.newest_at_ms OR account_usage.newest_at_ms > ?`,
    // Older samples arriving late never win, but a row dated in the future came from a wrong clock.
    [s.accountId, s.takenAtMs, s.status, s.error, futureAfterMs],
  );
  if (s.status !== "ok") return;
  const burn = burnRate5h(
    burnHistory(db, s.accountId, s.takenAtMs - BURN_WINDOW_MS, s.takenAtMs),
    s.takenAtMs,
  );
  db.run(
    `UPDATE account_usage SET good_at_ms = ?, util5_pct = ?, reset5_at_ms = ?, util7_pct = ?, reset7_at_ms = ?,
       scoped7_pct = ?, scoped7_reset_at_ms = ?, scoped7_model = ?, scoped7_buckets = ?, extra_usage_enabled = ?,
       burn5_pct_per_hour = ?
     WHERE account_id = ? AND (good_at_ms IS NULL OR good_at_ms <= ? OR good_at_ms > ?)`,
    [
      s.takenAtMs,
      s.util5Pct,
      s.reset5AtMs,
      s.util7Pct,
      s.reset7AtMs,
      s.scoped7Pct,
      s.scoped7ResetAtMs,
      s.scoped7Model,
      bucketsText(s.scoped7Buckets),
      s.extraUsageEnabled === null ? null : s.extraUsageEnabled ? 1 : 0,
      burn,
      s.accountId,
      s.takenAtMs,
      futureAfterMs,
    ],
  );
}

/** Good samples taken at or after `sinceMs`, oldest first, grouped by account. */
export function goodSamplesSince(db: Db, sinceMs: number): Map<number, UsageSampleRow[]> {
  const rows = db
    .query<RawSample, [number]>(
      "SELECT * FROM usage_samples WHERE taken_at_ms >= ? AND status = 'ok' ORDER BY taken_at_ms",
    )
    .all(sinceMs);
  const out = new Map<number, UsageSampleRow[]>();
  for (const r of rows) {
    const list = out.get(r.account_id) ?? [];
    list.push(toRow(r));
    out.set(r.account_id, list);
  }
  return out;
}

/** Keeps the table bounded: drops samples older than `beforeMs`. */
export function pruneSamples(db: Db, beforeMs: number): void {
  db.run("DELETE FROM usage_samples WHERE taken_at_ms < ?", [beforeMs]);
}

/**
 * One account with its usage summary and login health, as the hot path reads it: one query over
 * the small per-account tables, joined in SQLite rather than in JavaScript.
 */
export interface PoolRow
  extends RawAccount,
    Pick<
      RawSample,
      | "util5_pct"
      | "reset5_at_ms"
      | "util7_pct"
      | "reset7_at_ms"
      | "scoped7_pct"
      | "scoped7_reset_at_ms"
      | "scoped7_model"
    > {
  good_at_ms: number | null;
  scoped7_buckets: string | null;
  burn5_pct_per_hour: number | null;
  newest_at_ms: number | null;
  newest_status: SampleStatus | null;
  newest_error: string | null;
  needs_login: number | null;
  refresh_failed: number | null;
}

export function poolRows(db: Db): PoolRow[] {
  return db
    .query<PoolRow, []>(
      `SELECT a.id, a.name, a.name_is_custom, a.config_dir, a.email, a.org_name, a.account_uuid, a.created_at_ms,
         u.good_at_ms, u.util5_pct, u.reset5_at_ms, u.util7_pct, u.reset7_at_ms, u.scoped7_pct,
         u.scoped7_reset_at_ms, u.scoped7_model, u.scoped7_buckets, u.burn5_pct_per_hour,
         u.newest_at_ms, u.newest_status, u.newest_error, h.needs_login, h.refresh_failed
       FROM accounts a
       LEFT JOIN account_usage u ON u.account_id = a.id
       LEFT JOIN auth_health h ON h.account_id = a.id
       ORDER BY a.id`,
    )
    .all();
}
