// Cell formatters shared by the dashboard and the plain table. All pure: time comes from the model.
import type { HistoryPoint, StatusAccount, StatusModel } from "../../app/status.ts";
import { roundScore } from "../../score/score-account.ts";
import type { ScopedWeekly } from "../../score/types.ts";
import { KEYCHAIN_LOCKED } from "../../secrets/keychain-status.ts";
import type { Colors } from "../color.ts";
import { type Clock, clockAt, countdown } from "./clock.ts";

export const NEXT_MARK = "▸";
const SPARK_CHARS = "▁▂▃▄▅▆▇█";
/** A sample keeps standing in the sparkline this long, bridging the gaps between polls. */
const SPARK_HOLD_MS = 15 * 60_000;

export function scoreText(a: StatusAccount): string {
  return roundScore(a.score).toFixed(1);
}

export function pctText(pct: number | null): string {
  return pct === null ? "-" : `${Math.round(pct)}%`;
}

type Paint = (text: string) => string;

/** Green while there is room, yellow when getting full, red near the limit. */
export function levelColor(c: Colors, pct: number | null): Paint {
  if (pct === null) return c.dim;
  if (pct >= 85) return c.red;
  if (pct >= 60) return c.yellow;
  return c.green;
}

export function pctCell(c: Colors, pct: number | null): string {
  return levelColor(c, pct)(pctText(pct));
}

export function bar(c: Colors, pct: number | null, width: number): string {
  if (width <= 0) return "";
  if (pct === null) return c.dim("░".repeat(width));
  const filled = Math.max(0, Math.min(width, Math.round((pct / 100) * width)));
  const empty = width - filled;
  return (
    (filled > 0 ? levelColor(c, pct)("█".repeat(filled)) : "") + (empty > 0 ? c.dim("░".repeat(empty)) : "")
  );
}

export function sparkline(
  c: Colors,
  history: readonly HistoryPoint[],
  nowMs: number,
  spanMs: number,
  width: number,
): string {
  if (width <= 0) return "";
  const startMs = nowMs - spanMs;
  const stepMs = spanMs / width;
  const cells: string[] = [];
  let i = 0;
  let held: HistoryPoint | null = null;
  for (let b = 0; b < width; b++) {
    const endMs = startMs + (b + 1) * stepMs;
    let last: HistoryPoint | null = null;
    while (i < history.length && (history[i] as HistoryPoint).takenAtMs < endMs) {
      last = history[i] as HistoryPoint;
      i++;
    }
    if (last !== null) held = last;
    const shown = held !== null && endMs - held.takenAtMs <= SPARK_HOLD_MS + stepMs ? held : null;
    if (shown === null || shown.takenAtMs < startMs) {
      cells.push(" ");
      continue;
    }
    const level = Math.max(0, Math.min(7, Math.floor(shown.util5Pct / 12.5)));
    cells.push(levelColor(c, shown.util5Pct)(SPARK_CHARS[level] as string));
  }
  return cells.join("");
}

/** The 5h reset: "6:00 PM (in 2h 5m)" in full, "2h 5m" short. */
export function resetText(
  clock: Clock,
  resetAtMs: number | null,
  nowMs: number,
  variant: "full" | "short" | "clock",
): string {
  if (resetAtMs === null) return "-";
  if (resetAtMs <= nowMs) return "reset";
  if (variant === "clock") return clockAt(clock, resetAtMs, nowMs);
  const left = countdown(resetAtMs, nowMs);
  return variant === "short" ? left.replace(/^in /, "") : `${clockAt(clock, resetAtMs, nowMs)} (${left})`;
}

export function forecastText(clock: Clock, a: StatusAccount, nowMs: number, short = false): string {
  if (a.exhausted) {
    if (a.exhaustedUntilMs === null) return "exhausted";
    return `${short ? "back" : "back at"} ${clockAt(clock, a.exhaustedUntilMs, nowMs)}`;
  }
  const f = a.forecast;
  if (f.kind === "runs-dry") return `${short ? "dry" : "runs dry at"} ${clockAt(clock, f.atMs, nowMs)}`;
  if (f.kind === "lasts-to-reset") return short ? "to reset" : "lasts to reset";
  return "idle";
}

export function paintForecast(c: Colors, a: StatusAccount, text: string): string {
  if (a.exhausted) return c.red(text);
  if (a.forecast.kind === "runs-dry") return c.yellow(text);
  if (a.forecast.kind === "idle") return c.dim(text);
  return text;
}

interface Flag {
  full: string;
  short: string;
  paint: Paint;
}

/** The per-model weekly bucket when it binds tighter than the 7d window, else null. */
export function bindingScoped(a: {
  scoped7: ScopedWeekly | null;
  scoped7Binds: boolean;
}): ScopedWeekly | null {
  return a.scoped7Binds ? a.scoped7 : null;
}

export function flagsOf(c: Colors, a: StatusAccount, model: StatusModel): Flag[] {
  const out: Flag[] = [];
  if (a.exhausted) out.push({ full: "exhausted", short: "full", paint: c.red });
  const scoped = bindingScoped(a);
  if (scoped) {
    const model = scoped.model || "model";
    out.push({
      full: `${model} limit ${pctText(scoped.pct)}`,
      short: model,
      paint: levelColor(c, scoped.pct),
    });
  }
  if (a.rateLimited) out.push({ full: "rate-limited", short: "429", paint: c.red });
  if (a.needsLogin) out.push({ full: "needs login", short: "login", paint: c.red });
  if (a.lastPoll?.error === KEYCHAIN_LOCKED)
    out.push({ full: "keychain locked", short: "locked", paint: c.yellow });
  if (a.stale) out.push({ full: "stale", short: "stale", paint: c.yellow });
  if (a.reservedSessions > 0) {
    out.push({ full: `reserved ${a.reservedSessions}`, short: "rsv", paint: c.dim });
  }
  if (a.pinnedHere) {
    const kept = model.pin?.kept ?? false;
    out.push(
      kept
        ? { full: "pinned", short: "pin", paint: c.cyan }
        : { full: `pin ${model.pin?.reason ?? "broken"}`, short: "pin?", paint: c.dim },
    );
  }
  return out;
}

/** Full: every flag, spelled out. Short: the most important one and how many more. */
export function flagsText(flags: Flag[], short: boolean): string {
  if (!short) return flags.map((f) => f.paint(f.full)).join(", ");
  const first = flags[0];
  if (first === undefined) return "";
  return first.paint(first.short) + (flags.length > 1 ? `+${flags.length - 1}` : "");
}

export function signedPts(value: number): string {
  const r = roundScore(value);
  return r > 0 ? `+${r.toFixed(1)}` : r.toFixed(1);
}

export const STALE_REASON_TEXT = {
  "never-sampled": "never sampled",
  "refresh-failed": "its token refresh failed",
  "old-sample": "no fresh sample",
} as const;
