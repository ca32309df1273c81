import { describe, expect, test } from "bun:test";
import { type AccountState, rankAccounts } from "../../src/score/index.ts";
import { type WidgetModel, buildWidgetModel, emptyWidgetModel } from "../../src/widget/model.ts";
import {
  headroomLevel,
  renderPolybar,
  renderSwiftbar,
  renderWaybar,
  renderWidget,
} from "../../src/widget/render.ts";
import { NOW_MS, makeAccount } from "../score/build.ts";

function model(accounts: AccountState[], daemonRunning = true): WidgetModel {
  return buildWidgetModel(rankAccounts(accounts, NOW_MS), daemonRunning);
}

const pair = () =>
  model([
    makeAccount({ id: 1, name: "personal", util5: 61, util7: 70 }),
    makeAccount({ id: 2, name: "work", util5: 22, util7: 46 }),
  ]);

describe("buildWidgetModel", () => {
  test("ranks like select; best headroom is 100 − 5h usage of the top available account", () => {
    const m = pair();
    expect(m.accounts.map((a) => [a.name, a.next])).toEqual([
      ["work", true],
      ["personal", false],
    ]);
    expect(m.bestHeadroomPct).toBe(78);
    expect(m.bestName).toBe("work");
    expect(m.accounts[0]).toMatchObject({ score: 68.1, util5Pct: 22, util7Pct: 46, exhausted: false });
  });

  test("skips exhausted and logged-out accounts for the headline, even when they rank first", () => {
    const m = model([
      makeAccount({ id: 1, name: "spent", util5: 100, util7: 10 }),
      makeAccount({ id: 2, name: "nologin", util5: 0, util7: 0, needsLogin: true }),
      makeAccount({ id: 3, name: "busy", util5: 85, util7: 90 }),
    ]);
    expect(m.bestName).toBe("busy");
    expect(m.bestHeadroomPct).toBe(15);
    expect(m.accounts.find((a) => a.name === "spent")).toMatchObject({ exhausted: true, next: false });
    expect(m.accounts.find((a) => a.name === "nologin")).toMatchObject({ needsLogin: true, next: false });
  });

  test("no available account: 0% and no best name; empty pool: null", () => {
    const m = model([makeAccount({ id: 1, name: "spent", util5: 100 })]);
    expect(m.bestHeadroomPct).toBe(0);
    expect(m.bestName).toBeNull();
    expect(headroomLevel(m)).toBe("exhausted");
    const empty = model([]);
    expect(empty.bestHeadroomPct).toBeNull();
    expect(headroomLevel(empty)).toBe("empty");
    expect(emptyWidgetModel()).toEqual({ ...empty, daemonRunning: false });
  });

  test("levels follow the best headroom", () => {
    const at = (util5: number) => headroomLevel(model([makeAccount({ util5 })]));
    expect(at(0)).toBe("ok");
    expect(at(70)).toBe("ok");
    expect(at(71)).toBe("low");
    expect(at(90)).toBe("low");
    expect(at(91)).toBe("critical");
  });
});

describe("swiftbar", () => {
  test("title with the best headroom, `---`, one line per account, refresh", () => {
    expect(renderSwiftbar(pair()).split("\n")).toEqual([
      "ccp 78%",
      "---",
      "▸ work  5h 22% · 7d 46% · score 68.1 | font=Menlo",
      "  personal  5h 61% · 7d 70% · score 34.8 | font=Menlo",
      "---",
      "Refresh | refresh=true",
      "",
    ]);
  });

  test("red title when nothing is available; problem accounts are tagged and red", () => {
    const lines = renderSwiftbar(
      model([
        makeAccount({ id: 1, name: "spent", util5: 100, util7: 40 }),
        makeAccount({ id: 2, name: "nologin", needsLogin: true, neverSampled: true }),
      ]),
    ).split("\n");
    expect(lines[0]).toBe("ccp 0% | color=#d9534f");
    expect(lines).toContain("  spent  5h 100% · 7d 40% · score -5.0 · exhausted | font=Menlo color=#d9534f");
    expect(lines.find((l) => l.includes("nologin"))).toContain("no usage data yet");
    expect(lines.find((l) => l.includes("nologin"))).toContain("needs login");
    expect(lines).toContain("Every account is used up or needs a login. | color=gray");
  });

  test("says when the daemon is not running; an empty pool says how to start", () => {
    expect(renderSwiftbar(model([makeAccount({ util5: 5 })], false))).toContain(
      "The daemon is not running, so usage may be old: run `ccp service install`. | color=gray",
    );
    expect(renderSwiftbar(model([makeAccount({ util5: 5 })], true))).not.toContain("daemon");
    expect(renderSwiftbar(emptyWidgetModel()).split("\n").slice(0, 3)).toEqual([
      "ccp –",
      "---",
      "No accounts yet: run `ccp add` in a terminal. | color=gray",
    ]);
  });

  test("a name cannot inject parameters, submenus or extra lines", () => {
    const out = renderSwiftbar(model([makeAccount({ name: "--evil | bash=/bin/rm\nx", util5: 1 })]));
    const line = out.split("\n")[2] as string;
    expect(line).toStartWith("▸ ‐‐evil ¦ bash=/bin/rm x  5h 1%");
    expect(line.split("|").length).toBe(2);
  });
});

describe("waybar", () => {
  test("one JSON line: text, tooltip with every account, class, percentage", () => {
    const out = renderWaybar(pair());
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trim().includes("\n")).toBe(false);
    expect(JSON.parse(out)).toEqual({
      text: "ccp 78%",
      alt: "ok",
      class: "ok",
      percentage: 78,
      tooltip: "▸ work  5h 22% · 7d 46% · score 68.1\n  personal  5h 61% · 7d 70% · score 34.8",
    });
  });

  test("classes for low, critical, exhausted and empty; no percentage for an empty pool", () => {
    const cls = (m: WidgetModel) => JSON.parse(renderWaybar(m)).class;
    expect(cls(model([makeAccount({ util5: 80 })]))).toBe("low");
    expect(cls(model([makeAccount({ util5: 95 })]))).toBe("critical");
    expect(cls(model([makeAccount({ util5: 100 })]))).toBe("exhausted");
    const empty = JSON.parse(renderWaybar(emptyWidgetModel()));
    expect(empty.class).toBe("empty");
    expect(empty.text).toBe("ccp –");
    expect("percentage" in empty).toBe(false);
  });

  test("names are escaped for Pango markup", () => {
    const tip = JSON.parse(renderWaybar(model([makeAccount({ name: "<b>a&b</b>", util5: 1 })]))).tooltip;
    expect(tip).toContain("&lt;b&gt;a&amp;b&lt;/b&gt;");
    expect(tip).not.toContain("<b>");
  });
});

describe("polybar", () => {
  test("one line: headroom and the account the next launch uses", () => {
    expect(renderPolybar(pair())).toBe("ccp 78% · work\n");
    expect(renderPolybar(model([makeAccount({ util5: 100 })]))).toBe("ccp 0% · exhausted\n");
    expect(renderPolybar(emptyWidgetModel())).toBe("ccp –\n");
  });

  test("a name cannot inject formatting tags", () => {
    expect(renderPolybar(model([makeAccount({ name: "%{F#f00}x%{F-}", util5: 0 })]))).toBe(
      "ccp 100% · %(F#f00)x%(F-)\n",
    );
  });

  test("renderWidget dispatches by format", () => {
    const m = pair();
    expect(renderWidget("swiftbar", m)).toBe(renderSwiftbar(m));
    expect(renderWidget("waybar", m)).toBe(renderWaybar(m));
    expect(renderWidget("polybar", m)).toBe(renderPolybar(m));
  });
});
