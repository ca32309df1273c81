import { afterAll, describe, expect, test } from "bun:test";
import type { StatusModel } from "../../src/app/status.ts";
import { scoreTerms } from "../../src/score/score-account.ts";
import { makeClock } from "../../src/ui/status/clock.ts";
import { type DashboardView, KEY_HINTS, renderDashboard, renderPlain } from "../../src/ui/status/render.ts";
import { visibleWidth } from "../../src/ui/table.ts";
import { type Fixture, NOW_MS, SCENARIOS, TEST_CLOCK } from "./fixtures.ts";

const VIEW: DashboardView = { selectedId: null, help: false, message: null, sampling: false };
const fixtures: Fixture[] = [];
const models = new Map<string, StatusModel>();
for (const [name, make] of Object.entries(SCENARIOS)) {
  const f = make();
  fixtures.push(f);
  models.set(name, f.model());
}
afterAll(() => {
  for (const f of fixtures) f.close();
});

function model(name: string): StatusModel {
  return models.get(name) as StatusModel;
}

function dashboard(
  name: string,
  width: number,
  color = false,
  view: Partial<DashboardView> = {},
  height?: number,
): string {
  return renderDashboard(model(name), { ...VIEW, ...view }, { width, height, color, clock: TEST_CLOCK });
}

const ANSI = /\u001b\[[0-9;]*m/;

describe("dashboard snapshots", () => {
  for (const name of Object.keys(SCENARIOS)) {
    for (const width of [60, 100, 160]) {
      for (const color of [false, true]) {
        test(`${name} at ${width} columns, ${color ? "colour" : "no colour"}`, () => {
          const frame = dashboard(name, width, color);
          expect(frame).toMatchSnapshot();
          for (const line of frame.split("\n")) expect(visibleWidth(line)).toBeLessThanOrEqual(width);
          expect(ANSI.test(frame)).toBe(color);
        });
      }
    }
  }
});

describe("plain table snapshots", () => {
  for (const name of Object.keys(SCENARIOS)) {
    for (const color of [false, true]) {
      test(`${name}, ${color ? "colour" : "no colour"}`, () => {
        const text = renderPlain(model(name), { color, clock: TEST_CLOCK });
        expect(text).toMatchSnapshot();
        expect(ANSI.test(text)).toBe(color && name !== "empty");
      });
    }
  }
});

describe("plain table", () => {
  test("keeps the original layout: marker, columns, legend and data time", () => {
    const lines = renderPlain(model("five accounts"), { color: false, clock: TEST_CLOCK }).split("\n");
    expect(lines[0]).toMatch(/^ {2}ACCOUNT {21}SCORE {2}5h used {2}7d used {2}LIVE RESETS {3}FLAGS$/);
    expect(lines[1]).toBe("▸ work@example.com             75.2      22%      46%     1 6:00 PM  pinned");
    expect(lines.filter((l) => l.startsWith("▸ ") && !l.includes("= next pick")).length).toBe(1);
    expect(lines.at(-2)).toBe("▸ = next pick · score higher = emptier · 5h/7d = % used");
    expect(lines.at(-1)).toBe("updated 3:57 PM");
  });

  test("has no FLAGS column when no account has a flag", () => {
    const text = renderPlain(model("one account"), { color: false, clock: TEST_CLOCK });
    expect(text).not.toContain("FLAGS");
    expect(text.split("\n")[0]).toBe("  ACCOUNT                     SCORE  5h used  7d used  LIVE RESETS");
  });

  test("times follow the clock it is given, not the machine's zone", () => {
    const tokyo = makeClock("Asia/Tokyo", "en-US");
    const text = renderPlain(model("one account"), { color: false, clock: tokyo });
    // 18:00 UTC is 3:00 AM the next day in Tokyo.
    expect(text).toContain("3:00 AM");
    expect(text).not.toContain("6:00 PM");
  });
});

describe("dashboard", () => {
  test("no line is wider than the terminal, from 40 to 220 columns", () => {
    for (const name of Object.keys(SCENARIOS)) {
      for (let width = 40; width <= 220; width += 7) {
        for (const help of [false, true]) {
          const frame = dashboard(name, width, true, { help });
          for (const line of frame.split("\n")) expect(visibleWidth(line)).toBeLessThanOrEqual(width);
        }
      }
    }
  });

  test("adds columns as the width grows: bars, resets, forecast, then full flags", () => {
    const narrow = dashboard("five accounts", 60);
    const wide = dashboard("five accounts", 160);
    expect(narrow).not.toContain("█");
    expect(narrow).not.toContain("FORECAST");
    expect(narrow).toContain("login+1");
    expect(wide).toContain("█");
    expect(wide).toContain("runs dry at 5:34 PM");
    expect(wide).toContain("back at 4:43 PM");
    expect(wide).toContain("rate-limited, stale");
    expect(wide).toContain("6:00 PM (in 2h 2m)");
  });

  test("marks the next pick and the selection, and details the selected account", () => {
    const f = model("five accounts");
    const first = dashboard("five accounts", 100);
    expect(first).toMatch(/^> ▸ work@example\.com/m);
    expect(first).toContain("── work@example.com ─");
    expect(first).toContain("pinned by hand: launches from this directory use it");
    const beta = f.accounts.find((a) => a.name === "team-beta")?.id;
    const other = dashboard("five accounts", 100, false, { selectedId: beta });
    expect(other).toMatch(/^ {2}▸ work@example\.com/m);
    expect(other).toMatch(/^> {3}team-beta/m);
    expect(other).toContain("── team-beta ─");
    expect(other).toContain("-100.0 rate-limited");
    expect(other).toContain("rate-limited: the last poll got a 429");
    expect(other).not.toContain("── work@example.com ─");
  });

  test("the detail pane breaks the score down into terms that add up to it", () => {
    const personal = model("five accounts").accounts.find((a) => a.name === "personal@example.com");
    const frame = dashboard("five accounts", 160, false, { selectedId: personal?.id });
    // The reset credit is a term of its own, not folded into the headroom.
    expect(frame).toContain(
      "score 32.9 = +27.0 5h headroom  +8.6 5h reset credit  +7.5 7d headroom  -10.2 burn-rate runway",
    );
    expect(frame).toContain("burn 24.1%/h");
    const sum = (personal ? scoreTerms(personal) : []).reduce((s, t) => s + t.value, 0);
    expect(sum).toBeCloseTo(personal?.score ?? Number.NaN, 9);
  });

  test("the sparkline follows the stored 5h samples", () => {
    const frame = dashboard("one account", 100);
    const line = frame.split("\n").find((l) => l.startsWith("5h used, last 5h")) as string;
    expect(line).toMatch(/▁+▂+ {2}now 22%$/);
    // Without history the pane says so instead of drawing an empty line.
    const alpha = model("five accounts").accounts.find((a) => a.name === "team-alpha");
    expect(dashboard("five accounts", 100, false, { selectedId: alpha?.id })).toContain(
      "5h used, last 5h  no samples in that time",
    );
  });

  test("help replaces the detail pane", () => {
    const frame = dashboard("five accounts", 100, false, { help: true });
    expect(frame).toContain("── help ─");
    expect(frame).toContain("pin /home/dev/project to the selected account; again to unpin");
    expect(frame).not.toContain("── work@example.com ─");
  });

  test("a height keeps the frame to the screen with the key line last", () => {
    for (const height of [8, 12, 24, 40]) {
      const lines = dashboard("five accounts", 80, false, {}, height).split("\n");
      expect(lines.length).toBe(height);
      expect(lines.at(-1)).toContain(KEY_HINTS[0] as string);
    }
    // Too short for every row: the selected one stays visible.
    const last = model("five accounts").accounts.at(-1);
    const lines = dashboard("five accounts", 80, false, { selectedId: last?.id }, 10).split("\n");
    expect(lines.some((l) => l.startsWith(">   team-beta"))).toBe(true);
  });

  test("a message and sampling show in place of the key line and the data time", () => {
    const frame = dashboard("one account", 100, false, { message: "Sampled 1 account", sampling: true });
    expect(frame.split("\n").at(-1)).toBe("Sampled 1 account");
    expect(frame.split("\n")[0]).toContain("sampling…");
    expect(frame).not.toContain("updated 3:57 PM");
  });

  test("an empty pool points to `ccp add`", () => {
    expect(dashboard("empty", 100)).toContain("Run `ccp add` to add your first subscription.");
    expect(renderPlain(model("empty"), { color: false, clock: TEST_CLOCK })).toBe(
      "The pool is empty. Run `ccp add` to add your first subscription.",
    );
  });

  test("an exhausted pool warns that the next pick is a fallback", () => {
    const frame = dashboard("exhausted pool", 160);
    expect(frame).toContain("! Every account is exhausted: main has no headroom left");
    expect(frame).toMatch(/^> ▸ main/m);
    expect(frame).toContain("0 available · 2 exhausted");
    expect(model("exhausted pool").next).toEqual({ accountId: 1, kind: "fallback" });
  });

  test("the frame depends only on the model: same input, same text", () => {
    expect(model("five accounts").generatedAtMs).toBe(NOW_MS);
    expect(dashboard("five accounts", 100, true)).toBe(dashboard("five accounts", 100, true));
  });
});
