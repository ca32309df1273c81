import { describe, expect, test } from "bun:test";
import { scoreAccount } from "../../src/score/score-account.ts";
import type { AccountState, ScopedWeekly } from "../../src/score/types.ts";
import { DAY_MS, HOUR_MS, MIN_MS, NOW_MS, makeAccount } from "./build.ts";

function withBuckets(buckets: ScopedWeekly[], util7 = 30): AccountState {
  const a = makeAccount({ util7 });
  return { ...a, latest: a.latest ? { ...a.latest, scoped7Buckets: buckets } : null };
}

describe("every per-model weekly bucket binds", () => {
  test("the fullest bucket whose reset is still ahead is the one that counts", () => {
    const scored = scoreAccount(
      withBuckets([
        { pct: 100, resetAtMs: NOW_MS - MIN_MS, model: "Opus" },
        { pct: 95, resetAtMs: NOW_MS + 2 * DAY_MS, model: "Sonnet" },
      ]),
      NOW_MS,
    );
    expect(scored.raw7).toBe(5);
    expect(scored.scoped7?.model).toBe("Sonnet");
    expect(scored.scoped7Binds).toBe(true);
    expect(scored.exhausted).toBe(false);
  });

  test("two spent buckets: exhausted until the later of their resets", () => {
    const scored = scoreAccount(
      withBuckets([
        { pct: 100, resetAtMs: NOW_MS + HOUR_MS, model: "Opus" },
        { pct: 100, resetAtMs: NOW_MS + 2 * DAY_MS, model: "Sonnet" },
      ]),
      NOW_MS,
    );
    expect(scored.exhausted).toBe(true);
    expect(scored.exhaustedWindows).toEqual(["7d-scoped"]);
    expect(scored.exhaustedUntilMs).toBe(NOW_MS + 2 * DAY_MS);
    // An hour later Opus is back, Sonnet is still spent.
    const later = scoreAccount(
      withBuckets([
        { pct: 100, resetAtMs: NOW_MS + HOUR_MS, model: "Opus" },
        { pct: 100, resetAtMs: NOW_MS + 2 * DAY_MS, model: "Sonnet" },
      ]),
      NOW_MS + HOUR_MS + MIN_MS,
    );
    expect(later.exhausted).toBe(true);
    expect(later.scoped7?.model).toBe("Sonnet");
  });

  test("buckets looser than the 7d window change nothing", () => {
    const plain = scoreAccount(makeAccount({ util7: 80 }), NOW_MS);
    const loose = scoreAccount(
      withBuckets(
        [
          { pct: 10, resetAtMs: null, model: "Opus" },
          { pct: 20, resetAtMs: null, model: "Sonnet" },
        ],
        80,
      ),
      NOW_MS,
    );
    expect(loose.score).toBe(plain.score);
    expect(loose.scoped7Binds).toBe(false);
  });
});
