import { describe, expect, test } from "bun:test";
import {
  BARRIER_PCT,
  decide,
  EXHAUSTED_UTIL_PCT,
  RESET_CREDIT_HORIZON_MS,
  rankAccounts,
  STALE_AFTER_MS,
  scoreAccount,
} from "../../src/score/index.ts";
import type {
  AccountState,
  BurnSample,
  PinState,
  ScopedWeekly,
  UsageSnapshot,
} from "../../src/score/index.ts";
import { DAY_MS, HOUR_MS, MIN_MS, NOW_MS, prng } from "./build.ts";
import { decide as referenceDecide } from "./reference/decide.ts";
import { rankAccounts as referenceRankAccounts } from "./reference/rank.ts";
import { scoreAccount as referenceScoreAccount } from "./reference/score-account.ts";

// The score in src/score is written for the interpreter (calls and objects inlined away); the plain
// version it replaced is kept in ./reference as the oracle. Whatever the input, both must give the
// same result: every field, in the same key order, every number bit for bit (Object.is: -0 and NaN
// count), the same ranking and the same decision.

const POOLS = 3000;

function generator(seed: number) {
  const next = prng(seed);
  const between = (low: number, high: number): number => low + (high - low) * next();
  const chance = (p: number): boolean => next() < p;
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;

  /** Utilizations with the edges that matter: empty, the exhaustion line, full, over full. */
  const util = (): number | null =>
    chance(0.1)
      ? null
      : chance(0.3)
        ? pick([0, 1, 50, EXHAUSTED_UTIL_PCT - 1e-9, EXHAUSTED_UTIL_PCT, 100, 100 - BARRIER_PCT, 104])
        : between(0, 105);

  /** Resets: unknown, passed, exactly now, inside and beyond the credit horizon, far ahead. */
  const reset = (farMs: number): number | null =>
    chance(0.12)
      ? null
      : chance(0.3)
        ? pick([
            NOW_MS,
            NOW_MS - 1,
            NOW_MS + 1,
            NOW_MS - HOUR_MS,
            NOW_MS + RESET_CREDIT_HORIZON_MS,
            NOW_MS + RESET_CREDIT_HORIZON_MS + 1,
            NOW_MS + farMs,
          ])
        : Math.round(NOW_MS + between(-HOUR_MS, farMs));

  const bucket = (model: string): ScopedWeekly => ({ pct: util() ?? 0, resetAtMs: reset(7 * DAY_MS), model });

  const latest = (): UsageSnapshot | null => {
    if (chance(0.1)) return null;
    const snapshot: UsageSnapshot = {
      takenAtMs: chance(0.2)
        ? pick([NOW_MS - STALE_AFTER_MS, NOW_MS - STALE_AFTER_MS - 1, NOW_MS])
        : Math.round(NOW_MS - between(0, 300_000)),
      util5Pct: util(),
      reset5AtMs: reset(5 * HOUR_MS),
      util7Pct: util(),
      reset7AtMs: reset(7 * DAY_MS),
    };
    // The optional fields: absent, null, a bucket; and sometimes several per-model buckets.
    if (chance(0.7)) snapshot.scoped7 = chance(0.5) ? null : bucket("Opus");
    if (chance(0.35)) {
      const count = Math.floor(between(0, 4));
      snapshot.scoped7Buckets = Array.from({ length: count }, (_, i) => bucket(`model-${i}`));
    }
    return snapshot;
  };

  const history = (): BurnSample[] => {
    const samples: BurnSample[] = [];
    const count = Math.floor(between(0, 9));
    for (let i = 0; i < count; i++) {
      samples.push({
        takenAtMs: Math.round(NOW_MS - between(-5 * MIN_MS, 60 * MIN_MS)),
        util5Pct: between(0, 100),
        reset5AtMs: chance(0.5) ? null : Math.round(NOW_MS - between(0, 50 * MIN_MS)),
      });
    }
    return samples;
  };

  const account = (id: number): AccountState => {
    const state: AccountState = {
      id,
      name: `acct-${id}`,
      latest: latest(),
      history: history(),
      rateLimited: chance(0.2),
      needsLogin: chance(0.15),
      refreshFailed: chance(0.1),
      activeSessions: chance(0.1) ? -1 : Math.floor(between(0, 4)),
    };
    if (chance(0.7)) state.burn5PctPerHour = pick([0, -2, 3, 40, between(0, 60)]);
    if (chance(0.5)) state.reservedSessions = pick([0, -1, 1, 2]);
    return state;
  };

  const pool = (): AccountState[] => {
    const size = Math.floor(between(0, 12));
    const accounts = Array.from({ length: size }, (_, i) => account(i + 1));
    // Twins under another id: equal scores, so the tie-breaks decide.
    if (size > 0 && chance(0.3)) {
      const twin = accounts[Math.floor(next() * size)] as AccountState;
      accounts.push({ ...twin, id: size + 1, name: `acct-${size + 1}` });
    }
    // Everything exhausted (or spent and unusable), to reach the wait, fallback and none paths.
    if (chance(0.25)) {
      for (const a of accounts)
        if (a.latest !== null && chance(0.8))
          a.latest = { ...a.latest, util5Pct: 100, reset5AtMs: NOW_MS + HOUR_MS };
    }
    return chance(0.5) ? accounts.reverse() : accounts;
  };

  const pin = (size: number): PinState | null =>
    chance(0.5)
      ? null
      : {
          accountId: Math.floor(between(1, size + 2)),
          updatedAtMs: Math.round(NOW_MS - between(0, 2 * HOUR_MS)),
          live: chance(0.3),
        };

  return { next, chance, between, pool, pin };
}

/** The first difference between two values as a path, or null when they are the same. */
function difference(actual: unknown, expected: unknown, path = "$"): string | null {
  if (typeof expected === "number" || typeof actual === "number")
    return Object.is(actual, expected) ? null : `${path}: ${String(actual)} !== ${String(expected)}`;
  if (expected === null || typeof expected !== "object" || actual === null || typeof actual !== "object")
    return actual === expected ? null : `${path}: ${String(actual)} !== ${String(expected)}`;
  if (Array.isArray(expected) !== Array.isArray(actual)) return `${path}: array vs object`;
  const actualKeys = Object.keys(actual);
  const expectedKeys = Object.keys(expected);
  if (actualKeys.join() !== expectedKeys.join()) return `${path}: keys ${actualKeys} !== ${expectedKeys}`;
  for (const key of expectedKeys) {
    const found = difference(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (found !== null) return found;
  }
  return null;
}

describe("the score matches its reference implementation", () => {
  test("scoreAccount: every field of every account, bit for bit", () => {
    const gen = generator(101);
    let accounts = 0;
    const seen = new Set<string>();
    for (let i = 0; i < POOLS; i++) {
      for (const account of gen.pool()) {
        accounts++;
        const nowMs = gen.chance(0.9) ? NOW_MS : NOW_MS + Math.round(gen.between(-DAY_MS, DAY_MS));
        const expected = referenceScoreAccount(account, nowMs);
        const found = difference(scoreAccount(account, nowMs), expected);
        if (found !== null) throw new Error(`${found}\n${JSON.stringify(account)}`);
        seen.add(`exhausted:${expected.exhaustedWindows.join("+")}`);
        seen.add(`until:${expected.exhaustedUntilMs === null ? "null" : "known"}`);
        seen.add(`stale:${expected.staleReason}`);
        if (expected.scoped7Binds) seen.add("scoped-binds");
        if (expected.termValues.every((v, k) => k < 4 || v !== 0)) seen.add("every-penalty");
      }
    }
    expect(accounts).toBeGreaterThan(POOLS * 4);
    // The generator reaches every path of the score.
    for (const path of [
      "exhausted:",
      "exhausted:5h",
      "exhausted:7d",
      "exhausted:7d-scoped",
      "exhausted:5h+7d+7d-scoped",
      "until:null",
      "until:known",
      "stale:null",
      "stale:never-sampled",
      "stale:refresh-failed",
      "stale:old-sample",
      "scoped-binds",
      "every-penalty",
    ])
      expect(seen).toContain(path);
  });

  test("decide and rankAccounts: the same decision, pin verdict, message and ranking", () => {
    const gen = generator(202);
    const kinds = new Set<string>();
    for (let i = 0; i < POOLS; i++) {
      const accounts = gen.pool();
      const input = {
        accounts,
        nowMs: NOW_MS,
        forcedId: gen.chance(0.1) ? Math.floor(gen.between(0, accounts.length + 2)) : null,
        pin: gen.pin(accounts.length),
        wait: gen.chance(0.3),
      };
      const actual = decide(input);
      const expected = referenceDecide(input);
      kinds.add(expected.kind === "none" ? `none:${expected.reason}` : expected.kind);
      const found = difference(actual, expected);
      if (found !== null) throw new Error(`${found}\n${JSON.stringify(input)}`);
      const ranked = difference(rankAccounts(accounts, NOW_MS), referenceRankAccounts(accounts, NOW_MS));
      if (ranked !== null) throw new Error(`${ranked}\n${JSON.stringify(accounts)}`);
    }
    // Every kind of decision was reached, so each path was compared.
    expect([...kinds].sort()).toEqual([
      "fallback",
      "forced",
      "none:empty-pool",
      "none:needs-login",
      "none:no-fallback",
      "none:unknown-account",
      "pinned",
      "selected",
      "wait",
    ]);
  });
});
