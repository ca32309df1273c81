import { describe, expect, test } from "bun:test";
import { modelWindowName, parseUsagePayload } from "../../src/usage/payloads.ts";

const ISO = "2026-12-05T10:00:00Z";
const ISO_MS = Date.parse(ISO);

describe("parseUsagePayload: per-model weekly windows", () => {
  test("seven_day_sonnet and seven_day_opus are binding buckets; the fullest one is kept", () => {
    const snap = parseUsagePayload({
      five_hour: { utilization: 10, resets_at: null },
      seven_day: { utilization: 20, resets_at: null },
      seven_day_opus: { utilization: 40, resets_at: null },
      seven_day_sonnet: { utilization: 100, resets_at: ISO },
    });
    expect(snap.scoped7).toEqual({ pct: 100, resetAtMs: ISO_MS, model: "Sonnet" });
  });

  test("a window name never seen before with the usage shape counts too", () => {
    const snap = parseUsagePayload({
      seven_day: { utilization: 20, resets_at: null },
      seven_day_oauth_apps: { utilization: 91, resets_at: 1_800_000_000 },
      seven_day_sonnet: { utilization: 30, resets_at: null },
    });
    expect(snap.scoped7).toEqual({ pct: 91, resetAtMs: 1_800_000_000_000, model: "Oauth apps" });
  });

  test("a per-model window beats a lower weekly_scoped limit and loses to a higher one", () => {
    const limit = (percent: number) => ({
      kind: "weekly_scoped",
      percent,
      resets_at: null,
      scope: { model: { id: "x", display_name: "Opus" } },
    });
    const low = parseUsagePayload({ seven_day_sonnet: { utilization: 80 }, limits: [limit(50)] });
    expect(low.scoped7?.model).toBe("Sonnet");
    const high = parseUsagePayload({ seven_day_sonnet: { utilization: 80 }, limits: [limit(95)] });
    expect(high.scoped7).toEqual({ pct: 95, resetAtMs: null, model: "Opus" });
  });

  test("null, odd or malformed per-model windows are skipped, never fatal", () => {
    const snap = parseUsagePayload({
      five_hour: { utilization: 10, resets_at: null },
      seven_day_opus: null,
      seven_day_sonnet: { utilization: null, resets_at: null },
      seven_day_codename: "enabled",
      seven_day_list: [1, 2],
      seven_day_badreset: { utilization: 99, resets_at: "soon" },
      seven_day_badnum: { utilization: "99" },
      seven_day_: { utilization: 99 },
      seven_days_total: { utilization: 99 },
    });
    expect(snap.util5Pct).toBe(10);
    expect(snap.scoped7).toBeNull();
  });

  test("window names read as model names", () => {
    expect(modelWindowName("seven_day_opus")).toBe("Opus");
    expect(modelWindowName("seven_day_SONNET")).toBe("Sonnet");
    expect(modelWindowName("seven_day_oauth_apps")).toBe("Oauth apps");
  });
});
