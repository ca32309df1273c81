// What a status-bar widget shows, computed from the cached pool data (no network: the daemon keeps
// the cache fresh, and a widget refreshing every minute must not sample on its own).
import { rankAccounts } from "../score/index.ts";
import type { ScoredAccount } from "../score/types.ts";
import type { Db } from "../store/db.ts";
import { daemonAlive } from "../store/meta.ts";
import { readPool } from "../app/select.ts";

export interface WidgetAccount {
  id: number;
  name: string;
  score: number;
  util5Pct: number;
  util7Pct: number;
  exhausted: boolean;
  needsLogin: boolean;
  /** Its usage data is old or missing. */
  stale: boolean;
  /** False until its usage was read once (the percentages are then 0, not real). */
  sampled: boolean;
  /** The account the next launch would pick. */
  next: boolean;
}

export interface WidgetModel {
  /** Best first, as `ccp select` ranks them. */
  accounts: WidgetAccount[];
  /** 100 − 5h usage of the best available account; 0 when none is available; null for an empty pool. */
  bestHeadroomPct: number | null;
  bestName: string | null;
  daemonRunning: boolean;
}

function clampPct(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

export function buildWidgetModel(ranked: readonly ScoredAccount[], daemonRunning: boolean): WidgetModel {
  const best = ranked.find((a) => a.available);
  return {
    accounts: ranked.map((a) => ({
      id: a.id,
      name: a.name,
      score: a.score,
      util5Pct: clampPct(a.util5Pct),
      util7Pct: clampPct(a.util7Pct),
      exhausted: a.exhausted,
      needsLogin: a.needsLogin,
      stale: a.stale,
      sampled: a.sampledAtMs !== null,
      next: a === best,
    })),
    bestHeadroomPct: ranked.length === 0 ? null : best ? clampPct(100 - best.util5Pct) : 0,
    bestName: best?.name ?? null,
    daemonRunning,
  };
}

export function emptyWidgetModel(): WidgetModel {
  return { accounts: [], bestHeadroomPct: null, bestName: null, daemonRunning: false };
}

/** Reads the pool's cached usage and ranks it the way `ccp select` would. */
export function readWidgetModel(db: Db, nowMs: number): WidgetModel {
  const pool = readPool(db, nowMs);
  return buildWidgetModel(rankAccounts(pool.states, nowMs), daemonAlive(db, nowMs));
}
