import { formatDuration } from "../../duration.ts";

/** How the status view writes wall-clock times; injected so renders never depend on the machine's zone. */
export interface Clock {
  /** "4:10 PM" */
  time(ms: number): string;
  /** "Tue" */
  weekday(ms: number): string;
}

// Some ICU versions put a narrow no-break space before AM/PM; tables want a plain one.
function plainSpaces(text: string): string {
  return text.replace(/[\u202f\u00a0]/g, " ");
}

/** A clock for `timeZone` (the machine's zone when undefined) in `locale` (the machine's when undefined). */
export function makeClock(timeZone?: string, locale?: string): Clock {
  const time = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit", timeZone });
  const weekday = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone });
  // A time no Date can hold (a bad row from an older cc-pool) shows as "?" instead of throwing.
  const safe = (format: Intl.DateTimeFormat, ms: number): string =>
    Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? plainSpaces(format.format(new Date(ms))) : "?";
  return {
    time: (ms) => safe(time, ms),
    weekday: (ms) => safe(weekday, ms),
  };
}

/** "in 2h 5m", or "now" once the moment has passed. */
export function countdown(atMs: number, nowMs: number): string {
  if (atMs <= nowMs) return "now";
  return atMs - nowMs < 60_000 ? "in <1m" : `in ${formatDuration(atMs - nowMs)}`;
}

/** A clock time, with the weekday when it is more than a day away. */
export function clockAt(clock: Clock, atMs: number, nowMs: number): string {
  return atMs - nowMs > 24 * 3_600_000 ? `${clock.weekday(atMs)} ${clock.time(atMs)}` : clock.time(atMs);
}
