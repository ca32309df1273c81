import { describe, expect, test } from "bun:test";
import { decide, judgePin, PIN_TTL_MS, rankAccounts } from "../../src/score/index.ts";
import type { AccountState, PinState } from "../../src/score/index.ts";
import { DAY_MS, HOUR_MS, MIN_MS, makeAccount, NOW_MS } from "./build.ts";

// Account 2 is the better pick, so a kept pin is visible as account 1 winning.
const best = makeAccount({ id: 2 });

function pinTo(accountId: number, ageMs: number, live = false): PinState {
  return { accountId, updatedAtMs: NOW_MS - ageMs, live };
}

describe("pin rules", () => {
  test.each([
    ["kept when touched 59 min ago", makeAccount({ id: 1, util5: 50 }), pinTo(1, 59 * MIN_MS), null],
    [
      "kept by a live session long after its last touch",
      makeAccount({ id: 1, util5: 50 }),
      pinTo(1, 5 * HOUR_MS, true),
      null,
    ],
    ["kept at exactly 10% raw 5h headroom", makeAccount({ id: 1, util5: 90 }), pinTo(1, MIN_MS), null],
    [
      "kept on a rate-limited account with headroom",
      makeAccount({ id: 1, rateLimited: true }),
      pinTo(1, MIN_MS),
      null,
    ],
    ["expired at exactly 1 h", makeAccount({ id: 1, util5: 50 }), pinTo(1, PIN_TTL_MS), "expired"],
    [
      "broken under 10% raw 5h headroom",
      makeAccount({ id: 1, util5: 90.1 }),
      pinTo(1, MIN_MS),
      "low-headroom",
    ],
    [
      "broken under 10% even when a near reset gives eff credit",
      makeAccount({ id: 1, util5: 95, reset5AtMs: NOW_MS + MIN_MS }),
      pinTo(1, MIN_MS),
      "low-headroom",
    ],
    [
      "broken when the 7d window is exhausted",
      makeAccount({ id: 1, util7: 100, reset7AtMs: NOW_MS + DAY_MS }),
      pinTo(1, MIN_MS),
      "unavailable",
    ],
    [
      "broken when the account needs login",
      makeAccount({ id: 1, needsLogin: true }),
      pinTo(1, MIN_MS),
      "unavailable",
    ],
    ["broken when the account is gone", makeAccount({ id: 3 }), pinTo(1, MIN_MS), "unavailable"],
  ] as const)("%s", (_label, pinned: AccountState, pin, reason) => {
    const decision = decide({ accounts: [pinned, best], nowMs: NOW_MS, pin });
    if (reason === null) {
      expect(decision).toMatchObject({
        kind: "pinned",
        account: { id: 1 },
        pin: { accountId: 1, kept: true },
      });
    } else {
      expect(decision).toMatchObject({
        kind: "selected",
        account: { id: 2 },
        pin: { accountId: 1, kept: false, reason },
      });
    }
  });

  test("a low-headroom pin is still reported when nothing is available and the launch waits", () => {
    const full = makeAccount({ id: 1, util5: 100, reset5AtMs: NOW_MS + HOUR_MS });
    const decision = decide({ accounts: [full], nowMs: NOW_MS, pin: pinTo(1, MIN_MS), wait: true });
    expect(decision).toMatchObject({
      kind: "wait",
      pin: { accountId: 1, kept: false, reason: "unavailable" },
    });
  });

  test("without a pin the verdict is null", () => {
    expect(decide({ accounts: [best], nowMs: NOW_MS }).pin).toBeNull();
    expect(decide({ accounts: [best], nowMs: NOW_MS, pin: null }).pin).toBeNull();
  });

  test("judgePin checks expiry before the account", () => {
    const ranked = rankAccounts([makeAccount({ id: 1, needsLogin: true })], NOW_MS);
    expect(judgePin(pinTo(1, 2 * HOUR_MS), ranked, NOW_MS)).toEqual({
      accountId: 1,
      kept: false,
      reason: "expired",
    });
    expect(judgePin(pinTo(1, MIN_MS), ranked, NOW_MS)).toEqual({
      accountId: 1,
      kept: false,
      reason: "unavailable",
    });
  });
});
