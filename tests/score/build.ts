import type { AccountState, BurnSample, ScopedWeekly } from "../../src/score/index.ts";

export const NOW_MS = 1_760_000_000_000;
export const MIN_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface AccountSpec {
  id?: number;
  name?: string;
  util5?: number | null;
  util7?: number | null;
  /** Defaults keep every reset beyond the 5 h credit horizon. */
  reset5AtMs?: number | null;
  reset7AtMs?: number | null;
  scoped7?: ScopedWeekly | null;
  sampleAgeMs?: number;
  neverSampled?: boolean;
  history?: BurnSample[];
  rateLimited?: boolean;
  needsLogin?: boolean;
  refreshFailed?: boolean;
  sessions?: number;
}

export function makeAccount(spec: AccountSpec = {}): AccountState {
  const id = spec.id ?? 1;
  return {
    id,
    name: spec.name ?? `acct-${id}`,
    latest: spec.neverSampled
      ? null
      : {
          takenAtMs: NOW_MS - (spec.sampleAgeMs ?? 10_000),
          util5Pct: spec.util5 === undefined ? 0 : spec.util5,
          reset5AtMs: spec.reset5AtMs === undefined ? NOW_MS + 5 * HOUR_MS : spec.reset5AtMs,
          util7Pct: spec.util7 === undefined ? 0 : spec.util7,
          reset7AtMs: spec.reset7AtMs === undefined ? NOW_MS + 3 * DAY_MS : spec.reset7AtMs,
          scoped7: spec.scoped7 ?? null,
        },
    history: spec.history ?? [],
    rateLimited: spec.rateLimited ?? false,
    needsLogin: spec.needsLogin ?? false,
    refreshFailed: spec.refreshFailed ?? false,
    activeSessions: spec.sessions ?? 0,
  };
}

/** Samples at the given minutes before NOW_MS (0 = now) with the given 5h utilizations. */
export function samples(
  points: Array<[minutesAgo: number, util5Pct: number]>,
  reset5AtMs: number | null = null,
): BurnSample[] {
  return points.map(([minutesAgo, util5Pct]) => ({
    takenAtMs: NOW_MS - minutesAgo * MIN_MS,
    util5Pct,
    reset5AtMs,
  }));
}

export function termValue(terms: ReadonlyArray<{ key: string; value: number }>, key: string): number {
  const term = terms.find((t) => t.key === key);
  if (term === undefined) throw new Error(`no term ${key}`);
  return term.value;
}

export function sumTerms(terms: ReadonlyArray<{ value: number }>): number {
  return terms.reduce((sum, term) => sum + term.value, 0);
}

/** mulberry32: a small seeded generator, so every run checks the same cases. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
