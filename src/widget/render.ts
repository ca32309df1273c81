// The text each bar shows, from the widget model. All formatting lives here so the installed shell
// scripts only pass it through (and fall back to `cc-pool ?` when ccp does not answer).
import type { WidgetAccount, WidgetModel } from "./model.ts";

export const WIDGET_FORMATS = ["swiftbar", "waybar", "polybar"] as const;
export type WidgetFormat = (typeof WIDGET_FORMATS)[number];

export type HeadroomLevel = "empty" | "ok" | "low" | "critical" | "exhausted";

/** Below these shares of 5h headroom the widget turns amber, then red. */
export const LOW_HEADROOM_PCT = 30;
export const CRITICAL_HEADROOM_PCT = 10;

/** What a script prints when ccp fails or answers with something it cannot show. */
export const FALLBACK_TEXT = "cc-pool ?";

export function headroomLevel(model: WidgetModel): HeadroomLevel {
  if (model.bestHeadroomPct === null) return "empty";
  if (model.bestName === null) return "exhausted";
  if (model.bestHeadroomPct < CRITICAL_HEADROOM_PCT) return "critical";
  if (model.bestHeadroomPct < LOW_HEADROOM_PCT) return "low";
  return "ok";
}

export function headline(model: WidgetModel): string {
  return model.bestHeadroomPct === null ? "ccp –" : `ccp ${model.bestHeadroomPct}%`;
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

function accountLine(account: WidgetAccount, name: string): string {
  const tags = [
    account.exhausted ? "exhausted" : "",
    account.needsLogin ? "needs login" : "",
    account.stale ? "stale" : "",
  ].filter((t) => t !== "");
  const usage = account.sampled
    ? `5h ${account.util5Pct}% · 7d ${account.util7Pct}% · score ${account.score.toFixed(1)}`
    : `no usage data yet · score ${account.score.toFixed(1)}`;
  return `${account.next ? "▸" : " "} ${name}  ${[usage, ...tags].join(" · ")}`;
}

function notes(model: WidgetModel): string[] {
  if (model.accounts.length === 0) return ["No accounts yet: run `ccp add` in a terminal."];
  const out: string[] = [];
  if (model.bestName === null) out.push("Every account is used up or needs a login.");
  if (!model.daemonRunning)
    out.push("The daemon is not running, so usage may be old: run `ccp service install`.");
  return out;
}

/** SwiftBar and xbar: title line, `---`, one menu line per account. */
export function renderSwiftbar(model: WidgetModel): string {
  // `|` starts SwiftBar's parameters and a leading `-` makes a submenu; neither may come from a name.
  const safe = (name: string) =>
    oneLine(name)
      .replaceAll("|", "¦")
      .replace(/^-+/, (d) => "‐".repeat(d.length));
  const level = headroomLevel(model);
  const red = level === "critical" || level === "exhausted";
  const lines = [`${headline(model)}${red ? " | color=#d9534f" : ""}`, "---"];
  for (const account of model.accounts) {
    const attention = account.exhausted || account.needsLogin;
    lines.push(
      `${accountLine(account, safe(account.name))} | font=Menlo${attention ? " color=#d9534f" : ""}`,
    );
  }
  const extra = notes(model);
  if (extra.length > 0) {
    if (model.accounts.length > 0) lines.push("---");
    for (const note of extra) lines.push(`${note} | color=gray`);
  }
  lines.push("---", "Refresh | refresh=true");
  return `${lines.join("\n")}\n`;
}

function pango(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Waybar's `return-type: json` module: one JSON object on one line. */
export function renderWaybar(model: WidgetModel): string {
  const level = headroomLevel(model);
  const tooltip = [
    ...model.accounts.map((a) => accountLine(a, pango(oneLine(a.name)))),
    ...notes(model).map(pango),
  ].join("\n");
  const out: Record<string, string | number> = { text: headline(model), alt: level, tooltip, class: level };
  if (model.bestHeadroomPct !== null) out.percentage = model.bestHeadroomPct;
  return `${JSON.stringify(out)}\n`;
}

/** Polybar's custom/script module: one plain line. */
export function renderPolybar(model: WidgetModel): string {
  // Polybar reads `%{…}` as formatting tags: braces from a name would inject them.
  const safe = (name: string) => oneLine(name).replace(/[{}]/g, (b) => (b === "{" ? "(" : ")"));
  const level = headroomLevel(model);
  const suffix =
    level === "empty" ? "" : level === "exhausted" ? " · exhausted" : ` · ${safe(model.bestName ?? "")}`;
  return `${headline(model)}${suffix}\n`;
}

export function renderWidget(format: WidgetFormat, model: WidgetModel): string {
  switch (format) {
    case "swiftbar":
      return renderSwiftbar(model);
    case "waybar":
      return renderWaybar(model);
    case "polybar":
      return renderPolybar(model);
  }
}
