// The machine's wall clock without ICU. In a compiled Bun binary the first local-time question of
// a process (a Date getter such as getHours, getTimezoneOffset, toLocale*, Intl.DateTimeFormat)
// sets up ICU's time-zone support: ~8 ms, ~11 ms with an Intl.DateTimeFormat, more than all the
// rest of `ccp status --plain`. libc's localtime_r answers from the same TZ / /etc/localtime in
// microseconds. Where libc cannot be loaded, Date's own getters answer (and pay that cost).

/** A moment on the machine's clock: hour 0–23, minute 0–59, weekday 0 (Sunday)–6. */
export interface LocalParts {
  hour: number;
  minute: number;
  weekday: number;
}

export type LocalTime = (ms: number) => LocalParts | null;

const LIBC: Partial<Record<NodeJS.Platform, string>> = {
  linux: "libc.so.6",
  darwin: "/usr/lib/libSystem.B.dylib",
};

/** Date's getters: correct everywhere, slow to start. */
export const dateLocalTime: LocalTime = (ms) => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime())
    ? null
    : { hour: d.getHours(), minute: d.getMinutes(), weekday: d.getDay() };
};

function libcLocalTime(): LocalTime | null {
  const path = LIBC[process.platform];
  if (path === undefined) return null;
  try {
    // Required here, not imported: only the callers that ask for the time load the FFI.
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen(path, {
      localtime_r: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.ptr },
    });
    const seconds = new BigInt64Array(1);
    // struct tm opens with nine ints on glibc and macOS alike (sec, min, hour, mday, mon, year,
    // wday, yday, isdst), then tm_gmtoff and tm_zone: 56 bytes; 64 leave room.
    const tm = new Int32Array(16);
    return (ms) => {
      seconds[0] = BigInt(Math.floor(ms / 1000));
      if (!libc.symbols.localtime_r(ptr(seconds), ptr(tm))) return null;
      return { hour: tm[2] as number, minute: tm[1] as number, weekday: tm[6] as number };
    };
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
