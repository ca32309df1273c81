import { describe, expect, test } from "bun:test";
import { forecastAccount, scoreAccount } from "../../src/score/index.ts";
import { HOUR_MS, makeAccount, NOW_MS, samples } from "./build.ts";

// 30%/h over the last 30 minutes, ending at 40% used.
const burning = samples([
  [30, 25],
  [20, 30],
  [10, 35],
  [0, 40],
]);

describe("forecastAccount", () => {
  test("an account that is not burning is idle", () => {
    expect(forecastAccount(makeAccount({ util5: 40 }), NOW_MS)).toEqual({ kind: "idle" });
  });

  test("runs dry before its reset at the current burn", () => {
    const account = makeAccount({ util5: 40, reset5AtMs: NOW_MS + 4 * HOUR_MS, history: burning });
    const forecast = forecastAccount(account, NOW_MS);
    expect(forecast.kind).toBe("runs-dry");
    if (forecast.kind === "runs-dry") expect(forecast.atMs).toBeCloseTo(NOW_MS + 2 * HOUR_MS, 0);
  });

  test("lasts to a reset that comes first", () => {
    const account = makeAccount({ util5: 40, reset5AtMs: NOW_MS + HOUR_MS, history: burning });
    expect(forecastAccount(account, NOW_MS)).toEqual({ kind: "lasts-to-reset", resetAtMs: NOW_MS + HOUR_MS });
  });

  test("with no open window, lasts when the runway exceeds a whole window", () => {
    const slow = samples([
      [30, 0],
      [20, 1],
      [10, 2],
      [0, 3],
    ]);
    const account = makeAccount({ util5: 3, reset5AtMs: null, history: slow });
    expect(forecastAccount(account, NOW_MS)).toEqual({ kind: "lasts-to-reset", resetAtMs: null });
    const fast = makeAccount({ util5: 40, reset5AtMs: null, history: burning });
    expect(forecastAccount(fast, NOW_MS).kind).toBe("runs-dry");
  });

  test("an exhausted, still-burning window runs dry now", () => {
    const account = makeAccount({ util5: 100, reset5AtMs: NOW_MS + HOUR_MS, history: burning });
    expect(forecastAccount(account, NOW_MS)).toEqual({ kind: "runs-dry", atMs: NOW_MS });
  });

  test("takes a scored account or its state alike", () => {
    const account = makeAccount({ util5: 40, reset5AtMs: NOW_MS + 4 * HOUR_MS, history: burning });
    expect(forecastAccount(scoreAccount(account, NOW_MS), NOW_MS)).toEqual(forecastAccount(account, NOW_MS));
  });
});
