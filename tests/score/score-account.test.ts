import { describe, expect, test } from "bun:test";
import {
  barrierPts,
  rankAccounts,
  roundScore,
  runwayPenaltyPts,
  scoreAccount,
  STALE_AFTER_MS,
} from "../../src/score/index.ts";
import { DAY_MS, HOUR_MS, MIN_MS, makeAccount, NOW_MS, samples, sumTerms, termValue } from "./build.ts";
import { scoreTerms } from "../../src/score/score-account.ts";

describe("the seed's baseline table", () => {
  test.each([
    [22, 46, 68.1],
    [61, 70, 34.8],
    [0, 0, 95],
    [50, 50, 47.5],
  ])("5h %p%% / 7d %p%% scores %p", (util5, util7, expected) => {
    const scored = scoreAccount(makeAccount({ util5, util7 }), NOW_MS);
    expect(scored.score).toBeCloseTo(expected, 9);
    expect(sumTerms(scoreTerms(scored))).toBe(scored.score);
  });

  test("display rounding gives exactly the seed's numbers", () => {
    expect(roundScore(scoreAccount(makeAccount({ util5: 22, util7: 46 }), NOW_MS).score)).toBe(68.1);
    expect(roundScore(scoreAccount(makeAccount({ util5: 61, util7: 70 }), NOW_MS).score)).toBe(34.8);
  });

  test("a baseline account carries no term besides the two headroom terms", () => {
    const scored = scoreAccount(makeAccount({ util5: 22, util7: 46 }), NOW_MS);
    expect(scoreTerms(scored).map((t) => t.key)).toEqual([
      "headroom5h",
      "resetCredit5h",
      "headroom7d",
      "resetCredit7d",
      "sessions",
      "rateLimited",
      "needsLogin",
      "stale",
      "barrier5h",
      "barrier7d",
      "runway",
    ]);
    expect(termValue(scoreTerms(scored), "headroom5h")).toBeCloseTo(54.6, 9);
    expect(termValue(scoreTerms(scored), "headroom7d")).toBeCloseTo(13.5, 9);
    const others = scoreTerms(scored).filter((t) => t.key !== "headroom5h" && t.key !== "headroom7d");
    expect(others.every((t) => Object.is(t.value, 0))).toBe(true);
    expect(scoreTerms(scored).every((t) => t.label.length > 0)).toBe(true);
  });
});

describe("reset credit", () => {
  test.each([
    ["10 min", 90, 10 * MIN_MS, 97],
    ["2.5 h", 90, 2.5 * HOUR_MS, 55],
    ["exactly 5 h", 90, 5 * HOUR_MS, 10],
    ["unknown", 90, null, 10],
    ["passed a minute ago", 90, -MIN_MS, 100],
    ["now", 90, 0, 100],
  ])("5h window resetting in %s", (_label, util5, inMs, eff5) => {
    const reset5AtMs = inMs === null ? null : NOW_MS + inMs;
    const scored = scoreAccount(makeAccount({ util5, reset5AtMs }), NOW_MS);
    expect(scored.eff5).toBeCloseTo(eff5, 9);
    // The credit is its own term: headroom as used now, plus the credit, is 0.70 × eff5.
    const headroom = termValue(scoreTerms(scored), "headroom5h");
    const credit = termValue(scoreTerms(scored), "resetCredit5h");
    expect(headroom + credit).toBeCloseTo(0.7 * eff5, 9);
    expect(headroom).toBeCloseTo(0.7 * (100 - scored.util5Pct), 9);
  });

  test.each([
    ["3 days away earns nothing", 3 * DAY_MS, 20],
    ["6 h away earns nothing", 6 * HOUR_MS, 20],
    ["exactly 5 h away earns nothing", 5 * HOUR_MS, 20],
    ["4 h away earns a fifth", 4 * HOUR_MS, 36],
    ["1 h away earns four fifths", HOUR_MS, 84],
  ])("7d window at 80%% with a reset %s", (_label, inMs, eff7) => {
    const scored = scoreAccount(makeAccount({ util7: 80, reset7AtMs: NOW_MS + inMs }), NOW_MS);
    expect(scored.eff7).toBeCloseTo(eff7, 9);
    expect(termValue(scoreTerms(scored), "headroom7d")).toBeCloseTo(0.25 * 20, 9);
    expect(termValue(scoreTerms(scored), "resetCredit7d")).toBeCloseTo(0.25 * (eff7 - 20), 9);
    // Reset credit never feeds raw headroom.
    expect(scored.raw7).toBe(20);
  });

  test("a 90%-used window resetting in 10 minutes ranks up", () => {
    const soon = makeAccount({ id: 2, util5: 90, reset5AtMs: NOW_MS + 10 * MIN_MS });
    const half = makeAccount({ id: 1, util5: 50 });
    expect(rankAccounts([half, soon], NOW_MS).map((a) => a.id)).toEqual([2, 1]);
    // Same utilization with the reset hours away ranks down.
    const late = makeAccount({ id: 2, util5: 90, reset5AtMs: NOW_MS + 4 * HOUR_MS });
    expect(rankAccounts([half, late], NOW_MS).map((a) => a.id)).toEqual([1, 2]);
  });
});

describe("raw headroom", () => {
  test.each([
    ["used", 30, NOW_MS + HOUR_MS, 70],
    ["reset unknown", 30, null, 70],
    ["reset passed", 30, NOW_MS - 1, 100],
    ["reset exactly now", 30, NOW_MS, 100],
    ["over 100% used", 105, NOW_MS + HOUR_MS, -5],
  ])("%s", (_label, util5, reset5AtMs, raw5) => {
    expect(scoreAccount(makeAccount({ util5, reset5AtMs }), NOW_MS).raw5).toBe(raw5);
  });

  test("a missing window counts as unused", () => {
    const scored = scoreAccount(makeAccount({ util5: null, util7: null }), NOW_MS);
    expect([scored.util5Pct, scored.util7Pct, scored.raw5, scored.raw7, scored.eff5, scored.eff7]).toEqual([
      0, 0, 100, 100, 100, 100,
    ]);
    expect(scored.exhausted).toBe(false);
  });
});

describe("scoped weekly bucket", () => {
  test("a tighter model cap lowers eff7 and raw7", () => {
    const scored = scoreAccount(
      makeAccount({ util7: 30, scoped7: { pct: 90, resetAtMs: NOW_MS + 2 * DAY_MS, model: "Opus" } }),
      NOW_MS,
    );
    expect(scored.eff7).toBe(10);
    expect(scored.raw7).toBe(10);
    expect(termValue(scoreTerms(scored), "barrier7d")).toBe(-10);
    expect(scored.scoped7).toEqual({ pct: 90, resetAtMs: NOW_MS + 2 * DAY_MS, model: "Opus" });
  });

  test("a looser model cap changes nothing", () => {
    const withCap = makeAccount({ util7: 80, scoped7: { pct: 10, resetAtMs: null, model: "Opus" } });
    const without = makeAccount({ util7: 80 });
    expect(scoreAccount(withCap, NOW_MS).score).toBe(scoreAccount(without, NOW_MS).score);
  });

  test("a cap whose reset passed restores full raw headroom for that bucket", () => {
    const scored = scoreAccount(
      makeAccount({ util7: 30, scoped7: { pct: 100, resetAtMs: NOW_MS - MIN_MS, model: "Opus" } }),
      NOW_MS,
    );
    expect(scored.raw7).toBe(70);
    expect(scored.eff7).toBe(70);
    expect(scored.exhausted).toBe(false);
  });

  test("a cap resetting soon earns reset credit on the 5 h horizon", () => {
    const scored = scoreAccount(
      makeAccount({ util7: 0, scoped7: { pct: 100, resetAtMs: NOW_MS + HOUR_MS, model: "Opus" } }),
      NOW_MS,
    );
    expect(scored.eff7).toBeCloseTo(80, 9);
  });
});

describe("exhaustion", () => {
  const far = NOW_MS + 2 * HOUR_MS;
  test.each([
    ["5h at 99.5%", { util5: 99.5, reset5AtMs: far }, ["5h"], far],
    ["5h at 99.4%", { util5: 99.4, reset5AtMs: far }, [], null],
    ["5h at 100% after its reset", { util5: 100, reset5AtMs: NOW_MS }, [], null],
    ["5h at 100% with no reset known", { util5: 100, reset5AtMs: null }, ["5h"], null],
    ["7d at 100%", { util7: 100, reset7AtMs: NOW_MS + DAY_MS }, ["7d"], NOW_MS + DAY_MS],
    [
      "both windows",
      { util5: 100, reset5AtMs: far, util7: 99.9, reset7AtMs: NOW_MS + DAY_MS },
      ["5h", "7d"],
      NOW_MS + DAY_MS,
    ],
    ["the model cap", { scoped7: { pct: 99.5, resetAtMs: far, model: "Opus" } }, ["7d-scoped"], far],
  ] as const)("%s", (_label, spec, windows, untilMs) => {
    const scored = scoreAccount(makeAccount(spec), NOW_MS);
    expect(scored.exhaustedWindows).toEqual([...windows]);
    expect(scored.exhausted).toBe(windows.length > 0);
    expect(scored.available).toBe(windows.length === 0);
    expect(scored.exhaustedUntilMs).toBe(untilMs);
  });

  test("a never-sampled account is not exhausted and is available", () => {
    const scored = scoreAccount(makeAccount({ neverSampled: true }), NOW_MS);
    expect(scored.exhausted).toBe(false);
    expect(scored.available).toBe(true);
  });
});

describe("barriers", () => {
  test.each([
    [50, 0],
    [20, 0],
    [19, 1],
    [5, 15],
    [0, 20],
    [-5, 20],
  ])("raw %p%% pays %p", (raw, pts) => {
    expect(barrierPts(raw)).toBe(pts);
  });

  test("each window pays its own barrier", () => {
    const scored = scoreAccount(makeAccount({ util5: 85, util7: 95 }), NOW_MS);
    expect(termValue(scoreTerms(scored), "barrier5h")).toBe(-5);
    expect(termValue(scoreTerms(scored), "barrier7d")).toBeCloseTo(-15, 9);
  });

  test("a nearly exhausted 7d window is not masked by 5h headroom", () => {
    const weeklyFull = makeAccount({ id: 1, util5: 0, util7: 95 });
    const balanced = makeAccount({ id: 2, util5: 30, util7: 30 });
    expect(rankAccounts([weeklyFull, balanced], NOW_MS).map((a) => a.id)).toEqual([2, 1]);
    // With 21% weekly headroom there is no barrier and the 5h headroom wins.
    const weeklyOk = makeAccount({ id: 1, util5: 0, util7: 79 });
    expect(rankAccounts([weeklyOk, balanced], NOW_MS).map((a) => a.id)).toEqual([1, 2]);
  });
});

describe("runway", () => {
  test.each([
    [60, 0, 0],
    [60, -10, 0],
    [60, 30, 9],
    [50, 10, 0],
    [100, 10, 0],
    [0, 10, 15],
    [-3, 10, 15],
  ])("raw %p%% burning %p%%/h pays %p", (raw5, burn, pts) => {
    expect(runwayPenaltyPts(raw5, burn)).toBeCloseTo(pts, 9);
  });

  test("a draining account ranks down", () => {
    const history = samples([
      [30, 25],
      [20, 30],
      [10, 35],
      [0, 40],
    ]);
    const draining = makeAccount({ id: 1, util5: 40, util7: 40, history });
    const quiet = makeAccount({ id: 2, util5: 40, util7: 40 });
    const ranked = rankAccounts([draining, quiet], NOW_MS);
    expect(ranked.map((a) => a.id)).toEqual([2, 1]);
    const scored = ranked[1]!;
    expect(scored.burn5PctPerHour).toBeCloseTo(30, 9);
    expect(scored.runwayHours).toBeCloseTo(2, 9);
    expect(termValue(scoreTerms(scored), "runway")).toBeCloseTo(-9, 9);
  });
});

describe("flags", () => {
  test("sessions cost 2 points each", () => {
    expect(termValue(scoreTerms(scoreAccount(makeAccount({ sessions: 3 }), NOW_MS)), "sessions")).toBe(-6);
    expect(termValue(scoreTerms(scoreAccount(makeAccount({ sessions: 0 }), NOW_MS)), "sessions")).toBe(0);
    // A miscounted negative never turns into a bonus.
    expect(termValue(scoreTerms(scoreAccount(makeAccount({ sessions: -2 }), NOW_MS)), "sessions")).toBe(0);
    const ranked = rankAccounts([makeAccount({ id: 1, sessions: 1 }), makeAccount({ id: 2 })], NOW_MS);
    expect(ranked.map((a) => a.id)).toEqual([2, 1]);
  });

  test("rate-limited costs 100 points, keeps the last good values and stays available", () => {
    const scored = scoreAccount(makeAccount({ util5: 22, util7: 46, rateLimited: true }), NOW_MS);
    expect(termValue(scoreTerms(scored), "rateLimited")).toBe(-100);
    expect(scored.score).toBeCloseTo(-31.9, 9);
    expect(scored.util5Pct).toBe(22);
    expect(scored.available).toBe(true);
  });

  test("needs-login costs 100 points and is not available", () => {
    const scored = scoreAccount(makeAccount({ needsLogin: true }), NOW_MS);
    expect(termValue(scoreTerms(scored), "needsLogin")).toBe(-100);
    expect(scored.available).toBe(false);
    expect(scoreAccount(makeAccount(), NOW_MS).available).toBe(true);
  });

  test.each([
    ["a sample exactly at the bound", { sampleAgeMs: STALE_AFTER_MS }, null],
    ["a sample just past the bound", { sampleAgeMs: STALE_AFTER_MS + 1 }, "old-sample"],
    ["a failed refresh", { refreshFailed: true }, "refresh-failed"],
    ["no sample ever", { neverSampled: true }, "never-sampled"],
  ] as const)("stale: %s", (_label, spec, reason) => {
    const scored = scoreAccount(makeAccount(spec), NOW_MS);
    expect(scored.staleReason).toBe(reason);
    expect(scored.stale).toBe(reason !== null);
    expect(termValue(scoreTerms(scored), "stale")).toBe(reason === null ? 0 : -20);
  });

  test("a never-sampled account scores as unused minus the stale penalty", () => {
    const scored = scoreAccount(makeAccount({ neverSampled: true }), NOW_MS);
    expect(scored.score).toBe(75);
    expect(scored.sampledAtMs).toBeNull();
    // A fresh account with slightly more headroom than that is ranked ahead of it.
    const known = makeAccount({ id: 2, util5: 5, util7: 5 });
    expect(rankAccounts([makeAccount({ id: 1, neverSampled: true }), known], NOW_MS)[0]!.id).toBe(2);
  });
});

describe("roundScore", () => {
  test.each([
    [68.10000000000001, 68.1],
    [34.85, 34.9],
    [-2.25, -2.3],
    [-0.04, 0],
    [0, 0],
    [12.34, 12.3],
  ])("%p → %p", (input, output) => {
    expect(Object.is(roundScore(input), output)).toBe(true);
  });
});
