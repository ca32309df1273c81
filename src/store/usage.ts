import type { Db } from "./db.ts";

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
  extra_usage_enabled: number | null;
  error: string | null;
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
    extraUsageEnabled: r.extra_usage_enabled === null ? null : r.extra_usage_enabled === 1,
    error: r.error,
  };
}

export function insertSample(db: Db, s: UsageSampleRow): void {
  db.run(
    `INSERT INTO usage_samples (account_id, taken_at_ms, status, util5_pct, reset5_at_ms, util7_pct, reset7_at_ms,
       scoped7_pct, scoped7_reset_at_ms, scoped7_model, extra_usage_enabled, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      s.extraUsageEnabled === null ? null : s.extraUsageEnabled ? 1 : 0,
      s.error,
    ],
  );
}

/** The newest sample of each account, whatever its status. */
export function newestSamples(db: Db): Map<number, UsageSampleRow> {
  const rows = db
    .query<RawSample, []>(
      `SELECT s.* FROM usage_samples s
       JOIN (SELECT account_id, max(taken_at_ms) AS t FROM usage_samples GROUP BY account_id) n
         ON n.account_id = s.account_id AND n.t = s.taken_at_ms
       ORDER BY s.id`,
    )
    .all();
  return new Map(rows.map((r) => [r.account_id, toRow(r)]));
}

/** Good samples taken at or after `sinceMs`, oldest first, grouped by account. */
export function goodSamplesSince(db: Db, sinceMs: number): Map<number, UsageSampleRow[]> {
  const rows = db
    .query<RawSample, [number]>(
      "SELECT * FROM usage_samples WHERE status = 'ok' AND taken_at_ms >= ? ORDER BY taken_at_ms",
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

/** The newest good sample of each account (the values kept while polls fail). */
export function newestGoodSamples(db: Db): Map<number, UsageSampleRow> {
  const rows = db
    .query<RawSample, []>(
      `SELECT s.* FROM usage_samples s
       JOIN (SELECT account_id, max(taken_at_ms) AS t FROM usage_samples WHERE status = 'ok' GROUP BY account_id) n
         ON n.account_id = s.account_id AND n.t = s.taken_at_ms AND s.status = 'ok'
       ORDER BY s.id`,
    )
    .all();
  return new Map(rows.map((r) => [r.account_id, toRow(r)]));
}

/** Keeps the table bounded: drops samples older than `beforeMs`. */
export function pruneSamples(db: Db, beforeMs: number): void {
  db.run("DELETE FROM usage_samples WHERE taken_at_ms < ?", [beforeMs]);
}

export interface BurnPoint {
  takenAtMs: number;
  util5Pct: number;
  reset5AtMs: number | null;
}

/**
 * Good 5h readings since `sinceMs`, per account, for burn rates. On the hot path: only the three
 * columns needed, read as arrays rather than objects.
 */
export function burnHistorySince(db: Db, sinceMs: number): Map<number, BurnPoint[]> {
  const rows = db
    .query<[number, number, number, number | null], [number]>(
      `SELECT account_id, taken_at_ms, util5_pct, reset5_at_ms FROM usage_samples
       WHERE taken_at_ms >= ? AND status = 'ok' AND util5_pct IS NOT NULL`,
    )
    .values(sinceMs) as Array<[number, number, number, number | null]>;
  const out = new Map<number, BurnPoint[]>();
  for (const [accountId, takenAtMs, util5Pct, reset5AtMs] of rows) {
    let list = out.get(accountId);
    if (!list) {
      list = [];
      out.set(accountId, list);
    }
    list.push({ takenAtMs, util5Pct, reset5AtMs });
  }
  return out;
}
