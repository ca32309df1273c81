import { describe, expect, test } from "bun:test";
import { decide, rankAccounts, WAIT_RECHECK_MS } from "../../src/score/index.ts";
import { DAY_MS, HOUR_MS, MIN_MS, makeAccount, NOW_MS } from "./build.ts";

const full5 = { util5: 100, reset5AtMs: NOW_MS + 2 * HOUR_MS };

describe("ranking", () => {
  test("higher score first", () => {
    const ranked = rankAccounts(
      [makeAccount({ id: 1, util5: 61, util7: 70 }), makeAccount({ id: 2, util5: 22, util7: 46 })],
      NOW_MS,
    );
    expect(ranked.map((a) => a.id)).toEqual([2, 1]);
  });

  test("ties go to the earliest 5h reset, unknown resets last, then the lowest id", () => {
    // Resets beyond 5 h earn no credit, so these all score the same.
    const accounts = [
      makeAccount({ id: 1, reset5AtMs: null }),
      makeAccount({ id: 2, reset5AtMs: NOW_MS + 7 * HOUR_MS }),
      makeAccount({ id: 3, reset5AtMs: NOW_MS + 6 * HOUR_MS }),
      makeAccount({ id: 4, reset5AtMs: NOW_MS + 7 * HOUR_MS }),
      makeAccount({ id: 0, reset5AtMs: null }),
    ];
    const ranked = rankAccounts(accounts, NOW_MS);
    expect(new Set(ranked.map((a) => a.score)).size).toBe(1);
    expect(ranked.map((a) => a.id)).toEqual([3, 2, 4, 0, 1]);
  });

  test("ranking returns a new array and leaves the input order alone", () => {
    const accounts = [makeAccount({ id: 1, util5: 90 }), makeAccount({ id: 2 })];
    const ranked = rankAccounts(accounts, NOW_MS);
    expect(ranked.map((a) => a.id)).toEqual([2, 1]);
    expect(accounts.map((a) => a.id)).toEqual([1, 2]);
  });
});

describe("decide", () => {
  test("picks the best available account", () => {
    const decision = decide({
      accounts: [makeAccount({ id: 1, util5: 61, util7: 70 }), makeAccount({ id: 2, util5: 22, util7: 46 })],
      nowMs: NOW_MS,
    });
    expect(decision.kind).toBe("selected");
    if (decision.kind !== "selected") return;
    expect(decision.account.id).toBe(2);
    expect(decision.warning).toBeNull();
    expect(decision.pin).toBeNull();
    expect(decision.ranked.map((a) => a.id)).toEqual([2, 1]);
  });

  test("100% used is never picked while another account has headroom", () => {
    // The full window resets in 10 minutes, so it outranks a busy account, yet it is not picked.
    const full = makeAccount({ id: 1, util5: 100, reset5AtMs: NOW_MS + 10 * MIN_MS });
    const busy = makeAccount({ id: 2, util5: 85, util7: 85, sessions: 3 });
    const decision = decide({ accounts: [full, busy], nowMs: NOW_MS, wait: true });
    expect(decision.ranked[0]!.id).toBe(1);
    expect(decision.kind).toBe("selected");
    if (decision.kind === "selected") expect(decision.account.id).toBe(2);
  });

  test("a full 7d window is not picked despite an empty 5h window", () => {
    const weeklyFull = makeAccount({ id: 1, util5: 0, util7: 100 });
    const other = makeAccount({ id: 2, util5: 90, util7: 90 });
    const decision = decide({ accounts: [weeklyFull, other], nowMs: NOW_MS });
    expect(decision.kind === "selected" && decision.account.id).toBe(2);
  });

  test("a rate-limited account with headroom is still picked when it is the only choice", () => {
    const decision = decide({ accounts: [makeAccount({ id: 1, rateLimited: true })], nowMs: NOW_MS });
    expect(decision.kind === "selected" && decision.account.id).toBe(1);
    const both = decide({
      accounts: [makeAccount({ id: 1, rateLimited: true }), makeAccount({ id: 2, util5: 70, util7: 70 })],
      nowMs: NOW_MS,
    });
    expect(both.kind === "selected" && both.account.id).toBe(2);
  });

  test("a needs-login account is never picked while another account has headroom", () => {
    const decision = decide({
      accounts: [makeAccount({ id: 1, needsLogin: true }), makeAccount({ id: 2, util5: 95, util7: 95 })],
      nowMs: NOW_MS,
    });
    expect(decision.kind === "selected" && decision.account.id).toBe(2);
  });
});

describe("nothing available", () => {
  test("falls back to the best exhausted account with a loud warning", () => {
    const soon = makeAccount({
      id: 1,
      name: "soon@example.com",
      util5: 100,
      reset5AtMs: NOW_MS + 10 * MIN_MS,
    });
    const late = makeAccount({ id: 2, name: "late@example.com", ...full5 });
    const decision = decide({ accounts: [late, soon], nowMs: NOW_MS });
    expect(decision.kind).toBe("fallback");
    if (decision.kind !== "fallback") return;
    expect(decision.account.id).toBe(1);
    expect(decision.warning).toContain("soon@example.com");
    expect(decision.warning).toContain("extra usage");
    expect(decision.warning).toContain("rate-limited");
    expect(decision.warning).toContain("5h window");
  });

  test("the fallback skips rate-limited and needs-login accounts", () => {
    const soonLimited = makeAccount({
      id: 1,
      util5: 100,
      reset5AtMs: NOW_MS + 5 * MIN_MS,
      rateLimited: true,
    });
    const soonLogin = makeAccount({ id: 2, util5: 100, reset5AtMs: NOW_MS + 5 * MIN_MS, needsLogin: true });
    const weekly = makeAccount({ id: 3, util7: 100, reset7AtMs: NOW_MS + 2 * DAY_MS });
    const decision = decide({ accounts: [soonLimited, soonLogin, weekly], nowMs: NOW_MS });
    expect(decision.kind).toBe("fallback");
    if (decision.kind !== "fallback") return;
    expect(decision.account.id).toBe(3);
    expect(decision.warning).toContain("7d window");
  });

  test("names the model of an exhausted per-model cap", () => {
    const capped = makeAccount({ scoped7: { pct: 100, resetAtMs: NOW_MS + DAY_MS, model: "Opus" } });
    const decision = decide({ accounts: [capped], nowMs: NOW_MS });
    expect(decision.kind === "fallback" && decision.warning).toContain("7d Opus window");
  });

  test.each([
    ["an empty pool", [], false, "empty-pool"],
    ["an empty pool, waiting", [], true, "empty-pool"],
    [
      "every exhausted account rate-limited or needing login",
      [makeAccount({ id: 1, ...full5, rateLimited: true }), makeAccount({ id: 2, needsLogin: true })],
      false,
      "no-fallback",
    ],
    [
      "every account needing login",
      [makeAccount({ id: 1, needsLogin: true }), makeAccount({ id: 2, ...full5, needsLogin: true })],
      false,
      "needs-login",
    ],
    ["every account needing login, waiting", [makeAccount({ id: 1, needsLogin: true })], true, "needs-login"],
  ] as const)("reports none for %s", (_label, accounts, wait, reason) => {
    const decision = decide({ accounts: [...accounts], nowMs: NOW_MS, wait });
    expect(decision.kind).toBe("none");
    if (decision.kind !== "none") return;
    expect(decision.reason).toBe(reason);
    expect(decision.message.length).toBeGreaterThan(0);
    expect(decision.ranked.length).toBe(accounts.length);
  });

  test("waiting re-checks after 15 s when no reset is nearer", () => {
    const decision = decide({ accounts: [makeAccount(full5)], nowMs: NOW_MS, wait: true });
    expect(decision).toMatchObject({ kind: "wait", wakeAtMs: NOW_MS + WAIT_RECHECK_MS });
  });

  test("waiting wakes at the soonest future 5h reset when that is nearer", () => {
    const accounts = [
      makeAccount({ id: 1, util5: 100, reset5AtMs: NOW_MS + 9_000 }),
      makeAccount({ id: 2, util5: 100, reset5AtMs: NOW_MS + 4_000, needsLogin: true }),
      makeAccount({ id: 3, util7: 100, reset5AtMs: NOW_MS - 1_000 }),
      makeAccount({ id: 4, util5: 100, reset5AtMs: NOW_MS + 6_000, rateLimited: true }),
    ];
    const decision = decide({ accounts, nowMs: NOW_MS, wait: true });
    expect(decision).toMatchObject({ kind: "wait", wakeAtMs: NOW_MS + 6_000 });
  });

  test("waiting is not used while an account has headroom", () => {
    const decision = decide({
      accounts: [makeAccount({ id: 1, ...full5 }), makeAccount({ id: 2 })],
      nowMs: NOW_MS,
      wait: true,
    });
    expect(decision.kind === "selected" && decision.account.id).toBe(2);
  });
});

describe("forced account", () => {
  test("is picked over a better account, without a warning when it has headroom", () => {
    const decision = decide({
      accounts: [makeAccount({ id: 1 }), makeAccount({ id: 2, util5: 80 })],
      nowMs: NOW_MS,
      forcedId: 2,
    });
    expect(decision).toMatchObject({ kind: "forced", account: { id: 2 }, warning: null, pin: null });
  });

  test("is picked even when exhausted, with the warning", () => {
    const decision = decide({
      accounts: [makeAccount({ id: 1 }), makeAccount({ id: 2, name: "full", ...full5 })],
      nowMs: NOW_MS,
      forcedId: 2,
      wait: true,
    });
    expect(decision.kind).toBe("forced");
    if (decision.kind !== "forced") return;
    expect(decision.account.id).toBe(2);
    expect(decision.warning).toContain("full");
    expect(decision.warning).toContain("extra usage");
  });

  test("warns when the forced account needs a login", () => {
    const decision = decide({
      accounts: [makeAccount({ id: 3, needsLogin: true })],
      nowMs: NOW_MS,
      forcedId: 3,
    });
    expect(decision.kind === "forced" && decision.warning).toContain("login");
  });

  test("overrides a live pin", () => {
    const decision = decide({
      accounts: [makeAccount({ id: 1 }), makeAccount({ id: 2 })],
      nowMs: NOW_MS,
      forcedId: 2,
      pin: { accountId: 1, updatedAtMs: NOW_MS, live: true },
    });
    expect(decision).toMatchObject({ kind: "forced", account: { id: 2 }, pin: null });
  });

  test("an unknown id is reported, not replaced by another account", () => {
    const decision = decide({ accounts: [makeAccount({ id: 1 })], nowMs: NOW_MS, forcedId: 9 });
    expect(decision).toMatchObject({ kind: "none", reason: "unknown-account" });
  });
});
