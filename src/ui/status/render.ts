// The live dashboard as a pure function: (model, view state, width, colour) → one frame of text.
// Columns are added by priority while they fit, so the same code serves 60 and 200+ columns.
import { SPARK_SPAN_MS, type StatusAccount, type StatusModel } from "../../app/status.ts";
import { formatDuration } from "../../duration.ts";
import { type Colors, createColors } from "../color.ts";
import { type Clock, clockAt } from "./clock.ts";
import { scoreTerms } from "../../score/score-account.ts";
import {
  NEXT_MARK,
  STALE_REASON_TEXT,
  bar,
  flagsOf,
  flagsText,
  forecastText,
  paintForecast,
  pctCell,
  pctText,
  resetText,
  scoreText,
  signedPts,
  sparkline,
} from "./parts.ts";
import { EMPTY_POOL_TEXT, LEGEND } from "./plain.ts";
import { fit, joinFitting, padEnd, padStart, spread, visibleWidth } from "./text.ts";
import { safeText, terminalSafeModel } from "../safe-text.ts";

export { renderPlain } from "./plain.ts";

export interface DashboardView {
  /** The highlighted account; null selects the next pick (or the first row). */
  selectedId: number | null;
  help: boolean;
  /** One-line feedback for the last key (pinned, sampled, an error). */
  message: string | null;
  sampling: boolean;
}

export interface DashboardOptions {
  width: number;
  /** Rows available; the frame is trimmed (detail first) and the key line kept at the bottom. */
  height?: number;
  color: boolean;
  clock: Clock;
}

export const KEY_HINTS = ["↑↓ select", "p pin here", "r sample now", "? help", "q quit"];
const GAP = "  ";
const PREFIX_WIDTH = 4;
const NAME_MAX = 32;
const BAR_MIN = 5;
const BAR_MAX = 20;
const SPARK_MAX = 60;

interface Layout {
  nameMax: number;
  u7: boolean;
  /** 0 = hidden, 1 = short, 2 = full. */
  resets: 0 | 1 | 2;
  flags: 0 | 1 | 2;
  live: boolean;
  forecast: 0 | 1 | 2;
  bar: number;
}

interface Column {
  header: string;
  cells: string[];
  align: "l" | "r";
}

function columnWidth(col: Column): number {
  return Math.max(visibleWidth(col.header), ...col.cells.map(visibleWidth));
}

function usageCell(c: Colors, pct: number | null, barWidth: number): string {
  const text = padStart(pctCell(c, pct), 4);
  return barWidth > 0 ? `${bar(c, pct, barWidth)} ${text}` : text;
}

function buildColumns(
  model: StatusModel,
  layout: Layout,
  c: Colors,
  clock: Clock,
  selectedId: number | null,
): Column[] {
  const now = model.generatedAtMs;
  const rows = model.accounts;
  const cols: Column[] = [
    {
      header: "ACCOUNT",
      cells: rows.map((a) => {
        const name = fit(a.name, layout.nameMax);
        return a.id === selectedId ? c.inverse(c.bold(name)) : a.next ? c.bold(name) : name;
      }),
      align: "l",
    },
    { header: "SCORE", cells: rows.map(scoreText), align: "r" },
    {
      header: "5h USED",
      cells: rows.map((a) => usageCell(c, a.util5Pct, layout.bar)),
      align: layout.bar > 0 ? "l" : "r",
    },
  ];
  if (layout.u7) {
    cols.push({
      header: "7d USED",
      cells: rows.map((a) => usageCell(c, a.util7Pct, layout.bar)),
      align: layout.bar > 0 ? "l" : "r",
    });
  }
  if (layout.resets > 0) {
    const variant = layout.resets === 2 ? "full" : "short";
    cols.push({
      header: layout.resets === 2 ? "5h RESETS" : "RESETS",
      cells: rows.map((a) => resetText(clock, a.reset5AtMs, now, variant)),
      align: layout.resets === 2 ? "l" : "r",
    });
  }
  if (layout.live)
    cols.push({ header: "LIVE", cells: rows.map((a) => String(a.activeSessions)), align: "r" });
  if (layout.forecast > 0) {
    const short = layout.forecast === 1;
    cols.push({
      header: "FORECAST",
      cells: rows.map((a) => paintForecast(c, a, forecastText(clock, a, now, short))),
      align: "l",
    });
  }
  if (layout.flags > 0) {
    cols.push({
      header: "FLAGS",
      cells: rows.map((a) => flagsText(flagsOf(c, a, model), layout.flags === 1)),
      align: "l",
    });
  }
  return cols;
}

function tableWidth(cols: Column[]): number {
  return PREFIX_WIDTH + cols.reduce((sum, col) => sum + columnWidth(col), 0) + GAP.length * (cols.length - 1);
}

/** Starts from the essentials and adds columns, then wider variants, while the table fits. */
function chooseLayout(model: StatusModel, width: number, c: Colors, clock: Clock): Layout {
  const anyFlags = model.accounts.some((a) => flagsOf(c, a, model).length > 0);
  const fits = (l: Layout) => tableWidth(buildColumns(model, l, c, clock, null)) <= width;
  let layout: Layout = {
    nameMax: NAME_MAX,
    u7: false,
    resets: 0,
    flags: 0,
    live: false,
    forecast: 0,
    bar: 0,
  };
  const over = tableWidth(buildColumns(model, layout, c, clock, null)) - width;
  if (over > 0)
    layout = {
      ...layout,
      nameMax: Math.max(4, Math.min(NAME_MAX, ...model.accounts.map((a) => a.name.length)) - over),
    };
  const steps: Array<(l: Layout) => Layout> = [
    (l) => ({ ...l, u7: true }),
    (l) => (anyFlags ? { ...l, flags: 1 } : l),
    (l) => ({ ...l, resets: 1 }),
    (l) => ({ ...l, live: true }),
    (l) => ({ ...l, bar: BAR_MIN }),
    (l) => ({ ...l, forecast: 1 }),
    (l) => ({ ...l, resets: 2 }),
    (l) => (anyFlags ? { ...l, flags: 2 } : l),
    (l) => ({ ...l, forecast: 2 }),
  ];
  for (const step of steps) {
    const next = step(layout);
    if (fits(next)) layout = next;
  }
  while (layout.bar >= BAR_MIN && layout.bar < BAR_MAX && fits({ ...layout, bar: layout.bar + 1 })) {
    layout = { ...layout, bar: layout.bar + 1 };
  }
  return layout;
}

function renderTable(
  model: StatusModel,
  view: DashboardView,
  width: number,
  c: Colors,
  clock: Clock,
): string[] {
  const layout = chooseLayout(model, width, c, clock);
  const cols = buildColumns(model, layout, c, clock, view.selectedId);
  const widths = cols.map(columnWidth);
  const cell = (text: string, i: number) =>
    (cols[i]?.align === "r" ? padStart : padEnd)(text, widths[i] ?? 0);
  const header = " ".repeat(PREFIX_WIDTH) + cols.map((col, i) => cell(col.header, i)).join(GAP);
  const rows = model.accounts.map((a, r) => {
    const prefix = `${a.id === view.selectedId ? c.cyan(">") : " "} ${a.next ? c.green(NEXT_MARK) : " "} `;
    return prefix + cols.map((col, i) => cell(col.cells[r] as string, i)).join(GAP);
  });
  return [c.dim(header.trimEnd()), ...rows.map((r) => r.trimEnd())];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function totalsLine(model: StatusModel, width: number, c: Colors): string {
  const t = model.totals;
  const items = [
    `${plural(t.accounts, "account")}`,
    `${t.available} available`,
    ...(t.exhausted > 0 ? [c.red(`${t.exhausted} exhausted`)] : []),
    plural(t.liveSessions, "live session"),
    `avg 5h ${pctText(t.avg5Pct)}`,
    `7d ${pctText(t.avg7Pct)}`,
    model.daemonAlive ? "daemon running" : c.yellow("no daemon"),
  ];
  return `${c.bold("pool")} ${joinFitting(items, " · ", width - 5)}`;
}

/** Greedy word wrap; words longer than the width are cut. */
export function wrapText(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line === "" ? `${indent}${word}` : `${line} ${word}`;
    if (visibleWidth(candidate) <= width || line === "") {
      line = candidate;
      continue;
    }
    lines.push(line);
    line = `${indent}${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.map((l) => fit(l, width));
}

/** Lays `items` out after `lead`, wrapping onto lines indented to line up with the first item. */
function wrapItems(lead: string, items: string[], sep: string, width: number): string[] {
  const indent = " ".repeat(Math.min(visibleWidth(lead), 12));
  const lines: string[] = [];
  let line = lead;
  let empty = true;
  for (const item of items) {
    const candidate = empty ? `${line}${item}` : `${line}${sep}${item}`;
    if (visibleWidth(candidate) <= width || empty) {
      line = candidate;
      empty = false;
      continue;
    }
    lines.push(line);
    line = `${indent}${item}`;
  }
  lines.push(line);
  return lines.map((l) => fit(l, width));
}

function rule(title: string, width: number, c: Colors): string {
  const head = `── ${title} `;
  return c.dim(head) + c.dim("─".repeat(Math.max(0, width - visibleWidth(head))));
}

function ago(ms: number): string {
  return `${formatDuration(ms)} ago`;
}

function detailPane(model: StatusModel, a: StatusAccount, width: number, c: Colors, clock: Clock): string[] {
  const now = model.generatedAtMs;
  const lines: string[] = [rule(a.name, width, c)];
  const identity = [
    ...(a.email && a.email !== a.name ? [a.email] : []),
    ...(a.orgName ? [a.orgName] : []),
    `rank ${a.rank} of ${model.accounts.length}`,
    a.configDir,
  ];
  lines.push(joinFitting(identity, " · ", width));

  const terms = scoreTerms(a);
  const shown = terms.filter((t) => t.key === "headroom5h" || t.key === "headroom7d" || t.value !== 0);
  const entries = shown.map((t) => {
    const pts = signedPts(t.value);
    return `${t.value < 0 ? c.red(pts) : pts} ${c.dim(t.label)}`;
  });
  const hidden = terms.length - shown.length;
  if (hidden > 0) entries.push(c.dim(`(${hidden} more at 0)`));
  lines.push(...wrapItems(`score ${c.bold(scoreText(a))} = `, entries, "  ", width));

  const sparkWidth = Math.max(10, Math.min(SPARK_MAX, width - 30));
  const sparkLead = `5h used, last ${formatDuration(SPARK_SPAN_MS)}  `;
  lines.push(
    a.history.length === 0
      ? `${sparkLead}${c.dim("no samples in that time")}`
      : fit(
          `${sparkLead}${sparkline(c, a.history, now, SPARK_SPAN_MS, sparkWidth)}  now ${pctCell(c, a.util5Pct)}`,
          width,
        ),
  );

  const windows = [
    `5h resets ${resetText(clock, a.reset5AtMs, now, "full")}`,
    `7d resets ${resetText(clock, a.reset7AtMs, now, "full")}`,
  ];
  if (a.scoped7) {
    const s = a.scoped7;
    windows.push(
      `7d ${s.model || "model"} cap ${pctCell(c, s.pct)} used, resets ${resetText(clock, s.resetAtMs, now, "full")}`,
    );
  }
  lines.push(...wrapItems("", windows, " · ", width));

  const burn = a.burn5PctPerHour > 0 ? ` · burn ${a.burn5PctPerHour.toFixed(1)}%/h` : " · no 5h burn lately";
  lines.push(fit(`forecast ${paintForecast(c, a, forecastText(clock, a, now))}${burn}`, width));

  const notes: string[] = [];
  if (a.exhausted) {
    const until = a.exhaustedUntilMs === null ? "" : ` until ${clockAt(clock, a.exhaustedUntilMs, now)}`;
    notes.push(c.red(`exhausted (${a.exhaustedWindows.join(", ")})${until}: used only as a last resort`));
  }
  if (a.rateLimited) notes.push(c.red("rate-limited: the last poll got a 429; showing the last good values"));
  if (a.needsLogin) notes.push(c.red("needs login: its stored login no longer works"));
  if (a.stale && a.staleReason) {
    const since =
      a.staleReason === "old-sample" && a.sampledAtMs !== null
        ? `, last good ${ago(now - a.sampledAtMs)}`
        : "";
    notes.push(c.yellow(`stale: ${STALE_REASON_TEXT[a.staleReason]}${since}`));
  }
  // A good poll carries a note only when the parser corrected a value.
  if (a.lastPoll?.error) {
    notes.push(c.dim(`last poll ${ago(now - a.lastPoll.atMs)}: ${safeText(a.lastPoll.error)}`));
  }
  if (a.pinnedHere && model.pin) {
    const how = model.pin.manual ? "pinned by hand" : "pinned by the last launch";
    notes.push(
      model.pin.kept
        ? c.cyan(`${how}: launches from this directory use it`)
        : c.dim(`${how}, but the pin no longer holds (${model.pin.reason})`),
    );
  }
  for (const note of notes) lines.push(...wrapText(note, width));
  return lines;
}

function helpPane(model: StatusModel, width: number, c: Colors): string[] {
  const keys: Array<[string, string]> = [
    ["↑/↓  j/k", "select an account"],
    ["p", `pin ${model.cwd} to the selected account; again to unpin`],
    ["r", "sample every account's usage now"],
    ["l", "log the selected account in again (when it needs a new login)"],
    ["?", "close this help"],
    ["q  Esc", "quit (Ctrl-C too)"],
  ];
  const lines = ["", rule("help", width, c)];
  const keyWidth = 10;
  for (const [key, what] of keys) {
    const text = wrapText(what, Math.max(10, width - keyWidth));
    const lead = [padEnd(c.bold(key), keyWidth), ...text.slice(1).map(() => " ".repeat(keyWidth))];
    text.forEach((line, i) => {
      lines.push(fit(`${lead[i]}${line}`, width));
    });
  }
  const about =
    `${NEXT_MARK} marks the account the next launch from this directory would use. The score is ` +
    "0.70 × 5h headroom + 0.25 × 7d headroom, plus credit for a window about to reset, less points for live sessions, stale data, rate limits, " +
    "lost logins, a window nearly full and a fast burn: higher is emptier.";
  lines.push(...wrapText(about, width).map((l) => c.dim(l)));
  return lines;
}

function selectedAccount(model: StatusModel, view: DashboardView): StatusAccount | undefined {
  return (
    model.accounts.find((a) => a.id === view.selectedId) ??
    model.accounts.find((a) => a.next) ??
    model.accounts[0]
  );
}

/** One frame of the dashboard: lines joined by "\n", none wider than `width`. */
export function renderDashboard(
  untrusted: StatusModel,
  view: DashboardView,
  options: DashboardOptions,
): string {
  // The cwd (in the title) and the account fields could carry OSC 0 / OSC 52 sequences.
  const model = terminalSafeModel(untrusted);
  const { width, clock } = options;
  const c = createColors(options.color);
  const now = model.generatedAtMs;
  const right = view.sampling ? c.yellow("sampling…") : c.dim(`updated ${clock.time(model.dataAtMs ?? now)}`);
  const title = spread(`${c.bold("cc-pool status")} ${c.dim(model.cwd)}`, right, width);

  const selected = selectedAccount(model, view);
  const effective: DashboardView = { ...view, selectedId: selected?.id ?? null };
  const top: string[] = [title, ""];
  let tableRows: string[] = [];
  let tableHeader: string[] = [];
  const after: string[] = [];
  if (model.accounts.length === 0) {
    top.push(...wrapText(EMPTY_POOL_TEXT, width));
  } else {
    const [header, ...rows] = renderTable(model, effective, width, c, clock);
    tableHeader = [header as string];
    tableRows = rows;
    after.push(totalsLine(model, width, c));
    if (model.warning) after.push(...wrapText(`! ${model.warning}`, width).map((l) => c.yellow(l)));
    after.push(c.dim(fit(LEGEND, width)));
  }
  const detail = view.help
    ? helpPane(model, width, c)
    : selected
      ? ["", ...detailPane(model, selected, width, c, clock)]
      : [];
  const hints =
    model.accounts.length === 0
      ? ["q quit"]
      : selected?.needsLogin
        ? [...KEY_HINTS.slice(0, -2), "l log in again", ...KEY_HINTS.slice(-2)]
        : KEY_HINTS;
  const footerLine = view.message
    ? c.cyan(fit(view.message, width))
    : c.dim(joinFitting(hints, " · ", width));

  let visibleRows = tableRows;
  let body = detail;
  if (options.height !== undefined) {
    const budget = Math.max(1, options.height - 1);
    const fixed = top.length + tableHeader.length + after.length;
    const rowRoom = Math.max(1, budget - fixed);
    if (tableRows.length > rowRoom) {
      const index = Math.max(
        0,
        model.accounts.findIndex((a) => a.id === effective.selectedId),
      );
      const start = Math.min(Math.max(0, index - rowRoom + 1), tableRows.length - rowRoom);
      visibleRows = tableRows.slice(start, start + rowRoom);
    }
    body = detail.slice(0, Math.max(0, budget - fixed - visibleRows.length));
  }
  const lines = [...top, ...tableHeader, ...visibleRows, ...after, ...body];
  if (options.height !== undefined) {
    const budget = Math.max(1, options.height - 1);
    lines.splice(budget);
    while (lines.length < budget) lines.push("");
  }
  lines.push(footerLine);
  return lines.map((l) => fit(l, width)).join("\n");
}
