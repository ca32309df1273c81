// Raw libc bindings for the short commands: lstat, stat and realpath for the checks every command
// makes before it opens the pool, and localtime_r for the status clock (what `ccp run` reads
// before claude starts is bound in libc-reads.ts, which only the launch path loads). node:fs
// answers the same path questions, but loading it costs a short command more than all of its
// SQLite work (~2.6 M instructions, ~1 ms); the first Date getter sets up ICU's time zones (~8 ms).
// These calls cost microseconds. No policy here: src/fs/probe.ts and src/ui/status/local-time.ts
// decide what the answers mean, and fall back to node:fs and Date for anything these do not answer.
import type {
  CString as CStringClass,
  Pointer,
  dlopen as dlopenFn,
  ptr as ptrFn,
  read as readFns,
  toArrayBuffer as toArrayBufferFn,
} from "bun:ffi";

/**
 * bun:ffi's functions themselves. The `bun:ffi` module wraps them: its dlopen turns type names
 * into codes and writes a wrapper for each symbol as JavaScript source that it then compiles.
 * That costs this binding more than its calls (~0.4 M instructions, and enough heap to wake
 * JavaScriptCore's block warm-up thread in a short command). `Bun.FFI` holds the same natives;
 * with numeric type codes and pointers passed as numbers they need no wrapper. Where a Bun has no
 * `Bun.FFI`, the module answers instead.
 */
export interface Ffi {
  dlopen: typeof dlopenFn;
  ptr: typeof ptrFn;
  read: typeof readFns;
  CString: typeof CStringClass;
  toArrayBuffer: typeof toArrayBufferFn;
}

export function ffi(): Ffi {
  const native = (Bun as unknown as { FFI?: Partial<Ffi> }).FFI;
  if (
    typeof native?.dlopen === "function" &&
    typeof native.ptr === "function" &&
    native.read &&
    native.CString &&
    typeof native.toArrayBuffer === "function"
  ) {
    return native as Ffi;
  }
  return require("bun:ffi") as Ffi;
}

/** bun:ffi's FFIType codes (tests/fs/probe.test.ts holds them to the module's own FFIType). */
export const FFI_TYPE = { i32: 5, u32: 6, u64: 8, ptr: 12, i64_fast: 15 } as const;
const { i32: I32, u32: U32, ptr: PTR } = FFI_TYPE;

/** What cc-pool's checks read from a `struct stat`. */
export interface RawStat {
  mode: number;
  uid: number;
  size: number;
}

/** A call's outcome: the facts, or the errno it failed with (-1: not asked, e.g. an odd path). */
export type StatResult = RawStat | number;

export interface LibcFiles {
  lstat(path: string): StatResult;
  stat(path: string): StatResult;
  realpath(path: string): string | number;
}

/**
 * How to call and decode. glibc ≥ 2.28 has statx, whose struct is the same on every Linux
 * architecture (its `struct stat` is not: x86_64 and arm64 differ). macOS has one 64-bit-inode
 * `struct stat`; on x86_64 its functions carry the `$INODE64` suffix (the plain names are the old
 * 32-bit-inode ABI) and the POSIX realpath is `realpath$DARWIN_EXTSN`.
 */
export type LibcFlavor = "linux" | "darwin-arm64" | "darwin-x64";

export const ENOENT = 2;
export const ENOTDIR = 20;
/** The answer for a path these bindings do not pass to C (a NUL byte inside, far too long). */
export const NOT_ASKED = -1;

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
/** STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE: the fields the answer must carry. */
export const STATX_NEEDED = 0x1 | 0x2 | 0x8 | 0x200;
export const STATX_BASIC_STATS = 0x7ff;
/** sizeof(struct statx) is 256; macOS's struct stat is 144. */
export const STAT_BUFFER_BYTES = 256;
/** PATH_MAX is 4096 on Linux and 1024 on macOS; realpath writes at most that, NUL included. */
export const PATH_BUFFER_BYTES = 4096;
/** UTF-8 takes at most 3 bytes per UTF-16 unit; longer paths are left to node:fs. */
export const MAX_PATH_UNITS = 4096;

export const LIBC_PATHS: Record<LibcFlavor, string> = {
  linux: "libc.so.6",
  "darwin-arm64": "/usr/lib/libSystem.B.dylib",
  "darwin-x64": "/usr/lib/libSystem.B.dylib",
};

/** The flavor of the running system, or undefined where there is none (Windows, musl, …). */
export function hostLibcFlavor(): LibcFlavor | undefined {
  if (process.platform === "linux") return "linux";
  if (process.platform === "darwin") return process.arch === "x64" ? "darwin-x64" : "darwin-arm64";
  return undefined;
}

/**
 * dlopens libc (or a stand-in exporting the same names) and returns the three calls. Throws when
 * a symbol is missing (glibc before 2.28 has no statx) or when the decoding fails its check: `/`
 * must read as a directory, or nothing read here is trusted.
 */
export function openLibcFiles(flavor: LibcFlavor, path: string = LIBC_PATHS[flavor]): LibcFiles {
  const files = flavor === "linux" ? linuxFiles(path) : darwinFiles(path, flavor === "darwin-x64");
  const root = files.lstat("/");
  if (typeof root === "number" || (root.mode & 0o170000) !== 0o040000) {
    throw new Error(`libc at ${path} does not read / as a directory; not using it`);
  }
  return files;
}

/** A moment on the machine's clock, as localtime_r breaks it down: hour 0–23, minute, weekday 0–6. */
export interface LibcLocalParts {
  hour: number;
  minute: number;
  weekday: number;
}

/**
 * dlopens libc and returns localtime_r for a time in whole seconds (null when libc cannot break it
 * down). Throws when the library or the symbol is missing.
 */
export function openLibcLocalTime(
  flavor: LibcFlavor,
  path: string = LIBC_PATHS[flavor],
): (seconds: bigint) => LibcLocalParts | null {
  const { dlopen, ptr } = ffi();
  const lib = dlopen(path, { localtime_r: { args: [PTR, PTR], returns: PTR } });
  const localtime = lib.symbols.localtime_r as unknown as (t: Pointer, tm: Pointer) => unknown;
  // Own ArrayBuffers, for the reason given in commonFiles. struct tm opens with nine ints on glibc
  // and macOS alike (sec, min, hour, mday, mon, year, wday, yday, isdst), then tm_gmtoff and
  // tm_zone: 56 bytes; 64 leave room.
  const secondsBuffer = new ArrayBuffer(8);
  const seconds = new BigInt64Array(secondsBuffer);
  const tmBuffer = new ArrayBuffer(64);
  const tm = new Int32Array(tmBuffer);
  const secondsPtr = ptr(secondsBuffer);
  const tmPtr = ptr(tmBuffer);
  return (at) => {
    seconds[0] = at;
    if (!localtime(secondsPtr, tmPtr)) return null;
    return { hour: tm[2] as number, minute: tm[1] as number, weekday: tm[6] as number };
  };
}

/** Encodes `path` NUL-terminated into `into`; false when it cannot go to C as it is. */
export function encodePath(path: string, into: Uint8Array, encoder: TextEncoder): boolean {
  if (path.length === 0 || path.length > MAX_PATH_UNITS || path.includes("\0")) return false;
  const { written } = encoder.encodeInto(path, into);
  into[written] = 0;
  return true;
}

function linuxFiles(path: string): LibcFiles {
  const f = ffi();
  const lib = f.dlopen(path, {
    statx: { args: [I32, PTR, I32, U32, PTR], returns: I32 },
    realpath: { args: [PTR, PTR], returns: PTR },
    __errno_location: { args: [], returns: PTR },
  });
  const s = lib.symbols as unknown as Record<string, (...args: unknown[]) => unknown>;
  const statx = s.statx as (dirfd: number, p: Pointer, flags: number, mask: number, b: Pointer) => number;
  return commonFiles(
    f,
    s.realpath as RealpathCall,
    s.__errno_location as ErrnoCall,
    (pathPtr, buf, view, follow) => {
      if (statx(AT_FDCWD, pathPtr, follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) !== 0) {
        return undefined;
      }
      // struct statx: stx_mask u32 @0, stx_uid u32 @20, stx_mode u16 @28, stx_size u64 @40.
      if ((view.getUint32(0, true) & STATX_NEEDED) !== STATX_NEEDED) return NOT_ASKED;
      return {
        mode: view.getUint16(28, true),
        uid: view.getUint32(20, true),
        size: view.getUint32(40, true) + view.getUint32(44, true) * 2 ** 32,
      };
    },
  );
}

function darwinFiles(path: string, x64: boolean): LibcFiles {
  const suffix = x64 ? "$INODE64" : "";
  const realpathName = x64 ? "realpath$DARWIN_EXTSN" : "realpath";
  const f = ffi();
  const lib = f.dlopen(path, {
    [`lstat${suffix}`]: { args: [PTR, PTR], returns: I32 },
    [`stat${suffix}`]: { args: [PTR, PTR], returns: I32 },
    [realpathName]: { args: [PTR, PTR], returns: PTR },
    __error: { args: [], returns: PTR },
  });
  const s = lib.symbols as unknown as Record<string, (...args: unknown[]) => unknown>;
  const lstat = s[`lstat${suffix}`] as (p: Pointer, b: Pointer) => number;
  const stat = s[`stat${suffix}`] as (p: Pointer, b: Pointer) => number;
  return commonFiles(
    f,
    s[realpathName] as RealpathCall,
    s.__error as ErrnoCall,
    (pathPtr, buf, view, follow) => {
      if ((follow ? stat : lstat)(pathPtr, buf) !== 0) return undefined;
      // struct stat (64-bit inodes): st_dev i32 @0, st_mode u16 @4, st_nlink u16 @6, st_ino u64 @8,
      // st_uid u32 @16, st_gid u32 @20, st_rdev i32 @24, four timespecs @32…96, st_size i64 @96.
      return {
        mode: view.getUint16(4, true),
        uid: view.getUint32(16, true),
        size: view.getUint32(96, true) + view.getInt32(100, true) * 2 ** 32,
      };
    },
  );
}

/** One stat call: the facts, undefined when C said -1 (errno tells why), or NOT_ASKED. */
type StatCall = (
  pathPtr: Pointer,
  buf: Pointer,
  view: DataView,
  follow: boolean,
) => RawStat | number | undefined;

type RealpathCall = (p: Pointer, b: Pointer) => Pointer | bigint | null;
type ErrnoCall = () => Pointer | bigint | null;

function commonFiles(
  { ptr, read, CString }: Ffi,
  realpath: RealpathCall,
  errnoLocation: ErrnoCall,
  statCall: StatCall,
): LibcFiles {
  const encoder = new TextEncoder();
  // Each buffer is made from its own ArrayBuffer before any pointer is taken: a small typed array
  // made directly may live inside the GC heap, and asking for its `.buffer` later moves its bytes
  // away from a pointer taken before (C would then write where JS no longer reads).
  const pathBytes = new Uint8Array(new ArrayBuffer(MAX_PATH_UNITS * 3 + 1));
  const pathPtr = ptr(pathBytes);
  const statBuffer = new ArrayBuffer(STAT_BUFFER_BYTES);
  const statPtr = ptr(statBuffer);
  const view = new DataView(statBuffer);
  const resolved = new ArrayBuffer(PATH_BUFFER_BYTES + 1);
  // errno lives at a fixed address for the thread; read it right after the failing call, before
  // anything else can run.
  // A thread-local address is far below 2^53; anything else is not read (node:fs answers instead).
  const errnoAt = errnoLocation();
  const errno = (): number =>
    typeof errnoAt === "number" && errnoAt !== 0 ? read.i32(errnoAt, 0) : NOT_ASKED;

  const statOf = (path: string, follow: boolean): StatResult => {
    if (!encodePath(path, pathBytes, encoder)) return NOT_ASKED;
    const result = statCall(pathPtr, statPtr, view, follow);
    return result === undefined ? errno() : result;
  };
  return {
    lstat: (path) => statOf(path, false),
    stat: (path) => statOf(path, true),
    realpath(path) {
      if (!encodePath(path, pathBytes, encoder)) return NOT_ASKED;
      const resolvedPtr = ptr(resolved);
      if (realpath(pathPtr, resolvedPtr) === null) return errno();
      return new CString(resolvedPtr).toString();
    },
  };
}
