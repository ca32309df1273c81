import { afterAll, describe, expect, test } from "bun:test";
import { parseKeys } from "../../src/ui/status/keys.ts";
import { INITIAL_VIEW, reconcile, reduceKey } from "../../src/ui/status/state.ts";
import { type Fixture, SCENARIOS } from "./fixtures.ts";

const five = SCENARIOS["five accounts"]?.() as Fixture;
const empty = SCENARIOS.empty?.() as Fixture;
afterAll(() => {
  five.close();
  empty.close();
});

describe("parseKeys", () => {
  test("reads arrows in both cursor modes, letters and control keys", () => {
    expect(parseKeys("\u001b[A\u001b[B\u001bOA\u001bOB")).toEqual(["up", "down", "up", "down"]);
    expect(parseKeys("kjprq?\u0003")).toEqual(["up", "down", "pin", "sample", "quit", "help", "interrupt"]);
    expect(parseKeys("gG\u001b[H\u001b[F")).toEqual(["home", "end", "home", "end"]);
  });

  test("splits several keys from one read, a lone ESC is Escape", () => {
    expect(parseKeys("\u001b[Aj\u001b")).toEqual(["up", "down", "escape"]);
    expect(parseKeys("\u001b")).toEqual(["escape"]);
  });

  test("other sequences and letters are skipped whole, not misread", () => {
    expect(parseKeys("\u001b[C\u001b[15~x")).toEqual(["other", "other", "other"]);
    expect(parseKeys("P")).toEqual(["other"]);
  });
});

describe("reduceKey", () => {
  const model = five.model();
  const ids = model.accounts.map((a) => a.id);
  const start = reconcile(INITIAL_VIEW, model);

  test("selection starts on the next pick and moves within bounds", () => {
    expect(start.selectedId).toBe(ids[0] as number);
    const up = reduceKey(start, "up", model);
    expect(up.view.selectedId).toBe(ids[0] as number);
    let view = start;
    for (let i = 0; i < 10; i++) view = reduceKey(view, "down", model).view;
    expect(view.selectedId).toBe(ids.at(-1) as number);
    expect(reduceKey(view, "home", model).view.selectedId).toBe(ids[0] as number);
    expect(reduceKey(start, "end", model).view.selectedId).toBe(ids.at(-1) as number);
  });

  test("p asks to pin the selected account; r to sample unless already sampling", () => {
    const second = reduceKey(start, "down", model).view;
    expect(reduceKey(second, "pin", model).effect).toEqual({ kind: "pin", accountId: ids[1] as number });
    expect(reduceKey(start, "sample", model).effect).toEqual({ kind: "sample" });
    expect(reduceKey({ ...start, sampling: true }, "sample", model).effect).toEqual({ kind: "none" });
  });

  test("q and Esc quit with 0, Ctrl-C with 130; Esc first closes help", () => {
    expect(reduceKey(start, "quit", model).effect).toEqual({ kind: "quit", exitCode: 0 });
    expect(reduceKey(start, "escape", model).effect).toEqual({ kind: "quit", exitCode: 0 });
    expect(reduceKey(start, "interrupt", model).effect).toEqual({ kind: "quit", exitCode: 130 });
    const help = reduceKey(start, "help", model).view;
    expect(help.help).toBe(true);
    const closed = reduceKey(help, "escape", model);
    expect(closed.effect).toEqual({ kind: "none" });
    expect(closed.view.help).toBe(false);
  });

  test("a key clears the last message; unknown keys change nothing", () => {
    const withMessage = { ...start, message: "Pinned" };
    expect(reduceKey(withMessage, "down", model).view.message).toBeNull();
    expect(reduceKey(withMessage, "other", model)).toEqual({ view: withMessage, effect: { kind: "none" } });
  });

  test("an empty pool has nothing to select or pin", () => {
    const m = empty.model();
    const view = reconcile(INITIAL_VIEW, m);
    expect(view.selectedId).toBeNull();
    expect(reduceKey(view, "down", m).view.selectedId).toBeNull();
    expect(reduceKey(view, "pin", m).effect).toEqual({ kind: "none" });
  });

  test("reconcile keeps a selection that still exists and replaces one that is gone", () => {
    const kept = { ...start, selectedId: ids[2] as number };
    expect(reconcile(kept, model)).toBe(kept);
    expect(reconcile({ ...start, selectedId: 999 }, model).selectedId).toBe(ids[0] as number);
  });
});
