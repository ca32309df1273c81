// The machine's wall clock without ICU. In a compiled Bun binary the first local-time question of
// a process (a Date getter such as getHours, getTimezoneOffset, toLocale*, Intl.DateTimeFormat)
// sets up ICU's time-zone support: ~8 ms, ~11 ms with an Intl.DateTimeFormat, more than all the
// rest of `ccp status --plain`. libc's localtime_r answers from the same TZ / /etc/localtime in
// microseconds. Where libc cannot be loaded, Date's own getters answer (and pay that cost).
import { type LibcLocalParts, hostLibcFlavor, openLibcLocalTime } from "../../ffi/libc.ts";

/** A moment on the machine's clock: hour 0–23, minute 0–59, weekday 0 (Sunday)–6. */
export type LocalParts = LibcLocalParts;

export type LocalTime = (ms: number) => LocalParts | null;

/** Date's getters: correct everywhere, slow to start. */
export const dateLocalTime: LocalTime = (ms) => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime())
    ? null
    : { hour: d.getHours(), minute: d.getMinutes(), weekday: d.getDay() };
};

function libcLocalTime(): LocalTime | null {
  const flavor = hostLibcFlavor();
  if (flavor === undefined) return null;
  try {
    const localtime = openLibcLocalTime(flavor);
    return (ms) => localtime(BigInt(Math.floor(ms / 1000)));
  } catch {
    return null;
  }
}

let machine: LocalTime | undefined;

/** The fastest correct reader of the machine's clock here, made once per process. */
export function machineLocalTime(): LocalTime {
  machine ??= libcLocalTime() ?? dateLocalTime;
  return machine;
}
