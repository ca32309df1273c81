// The dashboard's headless state machine: keys in, view state and effects out. The terminal layer
// performs the effects (database writes, sampling, exit); rendering reads the state.
import type { StatusModel } from "../../app/status.ts";
import type { KeyName } from "./keys.ts";
import type { DashboardView } from "./render.ts";

export type Effect =
  | { kind: "none" }
  | { kind: "quit"; exitCode: number }
  | { kind: "pin"; accountId: number }
  | { kind: "sample" }
  /** Leave the dashboard to run `ccp login` for this account, then come back. */
  | { kind: "login"; accountId: number };

export const INITIAL_VIEW: DashboardView = { selectedId: null, help: false, message: null, sampling: false };

/** Keeps the selection on an account that still exists; defaults to the next pick, then the top row. */
export function reconcile(view: DashboardView, model: StatusModel): DashboardView {
  const ids = model.accounts.map((a) => a.id);
  if (view.selectedId !== null && ids.includes(view.selectedId)) return view;
  const fallback = model.accounts.find((a) => a.next)?.id ?? ids[0] ?? null;
  return { ...view, selectedId: fallback };
}

function move(
  view: DashboardView,
  model: StatusModel,
  to: (index: number, last: number) => number,
): DashboardView {
  const ids = model.accounts.map((a) => a.id);
  if (ids.length === 0) return view;
  const index = Math.max(0, ids.indexOf(reconcile(view, model).selectedId as number));
  const next = Math.max(0, Math.min(ids.length - 1, to(index, ids.length - 1)));
  return { ...view, selectedId: ids[next] as number };
}

export function reduceKey(
  view: DashboardView,
  key: KeyName,
  model: StatusModel,
): { view: DashboardView; effect: Effect } {
  const none: Effect = { kind: "none" };
  // A key press clears the last message; the effect may set a new one.
  const base = { ...view, message: null };
  switch (key) {
    case "up":
      return { view: move(base, model, (i) => i - 1), effect: none };
    case "down":
      return { view: move(base, model, (i) => i + 1), effect: none };
    case "home":
      return { view: move(base, model, () => 0), effect: none };
    case "end":
      return { view: move(base, model, (_, last) => last), effect: none };
    case "help":
      return { view: { ...base, help: !view.help }, effect: none };
    case "escape":
      return view.help
        ? { view: { ...base, help: false }, effect: none }
        : { view, effect: { kind: "quit", exitCode: 0 } };
    case "quit":
      return { view, effect: { kind: "quit", exitCode: 0 } };
    case "interrupt":
      return { view, effect: { kind: "quit", exitCode: 130 } };
    case "pin": {
      const selected = reconcile(view, model).selectedId;
      return selected === null
        ? { view, effect: none }
        : { view: base, effect: { kind: "pin", accountId: selected } };
    }
    case "login": {
      const selected = model.accounts.find((a) => a.id === reconcile(view, model).selectedId);
      if (selected === undefined) return { view, effect: none };
      if (!selected.needsLogin) {
        return {
          view: { ...base, message: `${selected.name}'s login works; l logs in an account that needs it` },
          effect: none,
        };
      }
      return { view: base, effect: { kind: "login", accountId: selected.id } };
    }
    case "sample":
      return view.sampling ? { view, effect: none } : { view: base, effect: { kind: "sample" } };
    default:
      return { view, effect: none };
  }
}
