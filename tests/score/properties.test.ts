import { describe, expect, test } from "bun:test";
import {
  burnRate5h,
  decide,
  forecastAccount,
  rankAccounts,
  scoreAccount,
  scoreTerms,
} from "../../src/score/index.ts";
import type { AccountState, BurnSample, PinState, UsageSnapshot } from "../../src/score/index.ts";
import { DAY_MS, HOUR_MS, MIN_MS, NOW_MS, sumTerms, prng } from "./build.ts";

const CASES = 400;

function generator(seed: number) {
  const next = prng(seed);
  const between = (low: number, high: number): number => low + (high - low) * next();
  const chance = (p: number): boolean => next() < p;
  const maybe = <T>(p: number, value: () => T): T | null => (chance(p) ? null : value());

  const account = (id: number): AccountState => {
    const reset5AtMs = maybe(0.15, () => Math.round(NOW_MS + between(-HOUR_MS, 5 * HOUR_MS)));
    const latest: UsageSnapshot | null = chance(0.1)
      ? null
      : {
          takenAtMs: Math.round(NOW_MS - between(0, 300_000)),
          util5Pct: maybe(0.1, () => between(0, 105)),
          reset5AtMs,
          util7Pct: maybe(0.1, () => between(0, 105)),
          reset7AtMs: maybe(0.15, () => Math.round(NOW_MS + between(-HOUR_MS, 7 * DAY_MS))),
          scoped7: chance(0.7)
            ? null
            : {
                pct: between(0, 105),
                resetAtMs: maybe(0.2, () => Math.round(NOW_MS + between(-HOUR_MS, 7 * DAY_MS))),
                model: "Opus",
              },
        };
    const history: BurnSample[] = [];
    const count = Math.floor(between(0, 9));
    for (let i = 0; i < count; i++) {
      history.push({
        takenAtMs: Math.round(NOW_MS - between(-5 * MIN_MS, 60 * MIN_MS)),
        util5Pct: between(0, 100),
        reset5AtMs: chance(0.5) ? reset5AtMs : Math.round(NOW_MS - between(0, 50 * MIN_MS)),
      });
    }
    return {
      id,
      name: `acct-${id}`,
      latest,
      history,
      rateLimited: chance(0.15),
      needsLogin: chance(0.1),
      refreshFailed: chance(0.1),
      activeSessions: Math.floor(between(0, 4)),
    };
  };

  const pool = (): AccountState[] => {
    const size = Math.floor(between(0, 6));
    return Array.from({ length: size }, (_, i) => account(i + 1));
  };

  const pin = (size: number): PinState | null =>
    chance(0.4)
      ? null
      : {
          accountId: Math.floor(between(1, size + 2)),
          updatedAtMs: Math.round(NOW_MS - between(0, 2 * HOUR_MS)),
          live: chance(0.3),
        };

  return { next, between, chance, account, pool, pin };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

type UtilKey = "util5Pct" | "util7Pct" | "scoped";

function withMoreUse(account: AccountState, key: UtilKey, extraPct: number): AccountState {
  const latest = account.latest;
  if (latest === null) return account;
  if (key === "scoped") {
    if (!latest.scoped7) return account;
    return {
      ...account,
      latest: { ...latest, scoped7: { ...latest.scoped7, pct: latest.scoped7.pct + extraPct } },
    };
  }
  return { ...account, latest: { ...latest, [key]: (latest[key] ?? 0) + extraPct } };
}

describe("properties", () => {
  test.each(["util5Pct", "util7Pct", "scoped"] as const)(
    "the score never rises when %s rises, all else equal",
    (key) => {
      const gen = generator(11);
      let compared = 0;
      for (let i = 0; i < CASES; i++) {
        const before = gen.account(1);
        const after = withMoreUse(before, key, gen.between(0.001, 40));
        if (after === before) continue;
        compared++;
        expect(scoreAccount(after, NOW_MS).score).toBeLessThanOrEqual(scoreAccount(before, NOW_MS).score);
      }
      expect(compared).toBeGreaterThan(CASES / 5);
    },
  );

  test("a rise in utilization strictly lowers the score while no reset has passed", () => {
    const base: AccountState = {
      id: 1,
      name: "a",
      latest: {
        takenAtMs: NOW_MS,
        util5Pct: 30,
        reset5AtMs: NOW_MS + HOUR_MS,
        util7Pct: 30,
        reset7AtMs: null,
      },
      history: [],
      rateLimited: false,
      needsLogin: false,
      refreshFailed: false,
      activeSessions: 0,
    };
    const before = scoreAccount(base, NOW_MS).score;
    expect(scoreAccount(withMoreUse(base, "util5Pct", 1), NOW_MS).score).toBeLessThan(before);
    expect(scoreAccount(withMoreUse(base, "util7Pct", 1), NOW_MS).score).toBeLessThan(before);
  });

  test("the same input gives the same output", () => {
    const gen = generator(23);
    for (let i = 0; i < CASES; i++) {
      const accounts = gen.pool();
      const pin = gen.pin(accounts.length);
      const wait = gen.chance(0.5);
      const a = decide({ accounts, nowMs: NOW_MS, pin, wait });
      const b = decide({
        accounts: structuredClone(accounts),
        nowMs: NOW_MS,
        pin: structuredClone(pin),
        wait,
      });
      expect(b).toEqual(a);
      for (const account of accounts)
        expect(scoreAccount(account, NOW_MS)).toEqual(scoreAccount(account, NOW_MS));
    }
  });

  test("ranking does not depend on input order", () => {
    const gen = generator(31);
    for (let i = 0; i < CASES; i++) {
      const accounts = gen.pool();
      const shuffled = [...accounts].sort(() => (gen.chance(0.5) ? 1 : -1));
      expect(rankAccounts(shuffled, NOW_MS).map((a) => a.id)).toEqual(
        rankAccounts(accounts, NOW_MS).map((a) => a.id),
      );
    }
  });

  test("inputs are not mutated", () => {
    const gen = generator(47);
    for (let i = 0; i < CASES; i++) {
      const accounts = gen.pool();
      const pin = gen.pin(accounts.length);
      const snapshot = structuredClone({ accounts, pin });
      deepFreeze(accounts);
      deepFreeze(pin);
      decide({ accounts, nowMs: NOW_MS, pin, wait: gen.chance(0.5) });
      decide({ accounts, nowMs: NOW_MS, forcedId: 1 });
      rankAccounts(accounts, NOW_MS);
      for (const account of accounts) {
        burnRate5h(account.history, NOW_MS);
        forecastAccount(account, NOW_MS);
      }
      expect({ accounts, pin }).toEqual(snapshot);
    }
  });

  test("the terms always add up to the score exactly and every number is finite", () => {
    const gen = generator(59);
    for (let i = 0; i < CASES; i++) {
      const scored = scoreAccount(gen.account(1), NOW_MS);
      expect(sumTerms(scoreTerms(scored))).toBe(scored.score);
      expect(Number.isFinite(scored.score)).toBe(true);
      expect(Number.isFinite(scored.burn5PctPerHour)).toBe(true);
    }
  });

  test("decisions follow the pick rules", () => {
    const gen = generator(71);
    const seen = new Set<string>();
    for (let i = 0; i < CASES * 2; i++) {
      const accounts = gen.pool();
      const pin = gen.pin(accounts.length);
      const wait = gen.chance(0.3);
      const decision = decide({ accounts, nowMs: NOW_MS, pin, wait });
      seen.add(decision.kind);
      const anyAvailable = decision.ranked.some((a) => a.available);
      switch (decision.kind) {
        case "selected":
          expect(decision.account).toBe(decision.ranked.find((a) => a.available)!);
          break;
        case "pinned":
          expect(decision.account.available).toBe(true);
          expect(decision.account.raw5).toBeGreaterThanOrEqual(10);
          break;
        case "fallback":
          expect(anyAvailable).toBe(false);
          expect(wait).toBe(false);
          expect(
            decision.account.exhausted && !decision.account.rateLimited && !decision.account.needsLogin,
          ).toBe(true);
          expect(decision.warning).not.toBeNull();
          break;
        case "wait":
          expect(anyAvailable).toBe(false);
          expect(wait).toBe(true);
          expect(decision.wakeAtMs).toBeGreaterThan(NOW_MS);
          expect(decision.wakeAtMs).toBeLessThanOrEqual(NOW_MS + 15_000);
          break;
        case "none":
          expect(anyAvailable).toBe(false);
          break;
        case "forced":
          throw new Error("no account was forced");
      }
    }
    expect([...seen].sort()).toEqual(["fallback", "none", "pinned", "selected", "wait"]);
  });
});
