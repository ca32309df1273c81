import { formatDuration } from "../../duration.ts";
import { type LocalParts, type LocalTime, machineLocalTime } from "./local-time.ts";

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

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** A time no Date can hold (a bad row from an older cc-pool) shows as "?" instead of throwing. */
function holdable(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

/**
 * The machine's clock, written as Intl writes en-US ("4:10 PM", "Tue"): Bun's default locale is
 * en-US whatever LANG says, so this is what `makeClock()` printed through Intl, without the cost of
 * loading ICU's time zones (see local-time.ts). `localTime` is injectable for tests.
 */
export function machineClock(localTime: LocalTime = machineLocalTime()): Clock {
  const at = (ms: number): LocalParts | null => (holdable(ms) ? localTime(ms) : null);
  return {
    time: (ms) => {
      const p = at(ms);
      if (p === null) return "?";
      return `${p.hour % 12 === 0 ? 12 : p.hour % 12}:${String(p.minute).padStart(2, "0")} ${p.hour < 12 ? "AM" : "PM"}`;
    },
    weekday: (ms) => {
      const p = at(ms);
      return p === null ? "?" : (WEEKDAYS[p.weekday] ?? "?");
    },
  };
}

/**
 * A clock for `timeZone` (the machine's zone when undefined) in `locale` (the default locale when
 * undefined); with neither, the machine's clock without Intl.
 */
export function makeClock(timeZone?: string, locale?: string): Clock {
  if (timeZone === undefined && locale === undefined) return machineClock();
  const time = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit", timeZone });
  const weekday = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone });
  const safe = (format: Intl.DateTimeFormat, ms: number): string =>
    holdable(ms) ? plainSpaces(format.format(new Date(ms))) : "?";
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
