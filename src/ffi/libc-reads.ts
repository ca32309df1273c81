// The libc calls `ccp run` reads with before claude starts, when nothing needs to change: a stat
// with a signature's fields, readdir, readlink, access and a small-file read. They live apart from
// libc.ts so that only the launch path loads (and binds) them. Nothing here writes, creates or
// deletes a file; src/fs/reads.ts decides what the answers mean and leaves the rest to node:fs.
import type { Pointer } from "bun:ffi";
import {
  AT_FDCWD,
  AT_SYMLINK_NOFOLLOW,
  FFI_TYPE,
  type LibcFlavor,
  LIBC_PATHS,
  MAX_PATH_UNITS,
  NOT_ASKED,
  PATH_BUFFER_BYTES,
  type RawStat,
  STATX_BASIC_STATS,
  STATX_NEEDED,
  STAT_BUFFER_BYTES,
  encodePath,
  ffi,
} from "./libc.ts";

const { i32: I32, u32: U32, u64: U64, ptr: PTR, i64_fast: SSIZE } = FFI_TYPE;

/** Everything a file's signature is made of (launch-record.ts), as node:fs's BigIntStats has it. */
export interface FullStat extends RawStat {
  dev: bigint;
  ino: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** One directory entry: its name and its d_type (DT_UNKNOWN where the file system does not say). */
export interface RawDirEntry {
  name: string;
  type: number;
}

/** d_type values: the same on Linux and macOS. */
export const DT = { unknown: 0, fifo: 1, chr: 2, dir: 4, blk: 6, reg: 8, lnk: 10, sock: 12 } as const;

/** readlink of something that is not a link (the same number on Linux and macOS). */
export const EINVAL = 22;
export const X_OK = 1;

/** Each call answers, or gives the errno it failed with (NOT_ASKED: not passed to C at all). */
export interface LibcReads {
  /** stat (follow) or lstat, with the fields of a signature. */
  statFull(path: string, follow: boolean): FullStat | number;
  /** The entries of a directory, "." and ".." left out, in the order the file system gives them. */
  readdir(path: string): RawDirEntry[] | number;
  /** A symbolic link's target. */
  readlink(path: string): string | number;
  /** access(2): 0 when allowed, else the errno. */
  access(path: string, mode: number): number;
  /**
   * At most `maxBytes + 1` bytes of a file, opened O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC: a link is
   * refused (ELOOP), a FIFO never waited on. More than `maxBytes` bytes tells the caller "too large".
   */
  readFile(path: string, maxBytes: number): Uint8Array | number;
}

/** STATX_NEEDED and STATX_MTIME | STATX_CTIME | STATX_INO (the device is always filled in). */
const STATX_NEEDED_FULL = STATX_NEEDED | 0x40 | 0x80 | 0x100;
const NS_PER_S = 1_000_000_000n;

/** glibc's makedev: the dev_t that stat (and so node:fs) reports for a statx device pair. */
export function linuxMakedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/**
 * struct statx (the same on every Linux architecture): stx_mask u32 @0, stx_uid u32 @20,
 * stx_mode u16 @28, stx_ino u64 @32, stx_size u64 @40, stx_ctime @96 and stx_mtime @112
 * ({ i64 tv_sec, u32 tv_nsec, i32 }), stx_dev_major u32 @136, stx_dev_minor u32 @140.
 */
function decodeStatx(view: DataView): FullStat | number {
  if ((view.getUint32(0, true) & STATX_NEEDED_FULL) !== STATX_NEEDED_FULL) return NOT_ASKED;
  return {
    dev: linuxMakedev(view.getUint32(136, true), view.getUint32(140, true)),
    ino: view.getBigUint64(32, true),
    mode: view.getUint16(28, true),
    uid: view.getUint32(20, true),
    size: view.getUint32(40, true) + view.getUint32(44, true) * 2 ** 32,
    mtimeNs: view.getBigInt64(112, true) * NS_PER_S + BigInt(view.getUint32(120, true)),
    ctimeNs: view.getBigInt64(96, true) * NS_PER_S + BigInt(view.getUint32(104, true)),
  };
}

/**
 * macOS's struct stat (64-bit inodes): st_dev i32 @0, st_mode u16 @4, st_ino u64 @8, st_uid u32
 * @16, st_mtimespec @48 and st_ctimespec @64 ({ i64 tv_sec, i64 tv_nsec }), st_size i64 @96.
 */
function decodeDarwinStat(view: DataView): FullStat {
  return {
    dev: BigInt(view.getInt32(0, true)),
    ino: view.getBigUint64(8, true),
    mode: view.getUint16(4, true),
    uid: view.getUint32(16, true),
    size: view.getUint32(96, true) + view.getInt32(100, true) * 2 ** 32,
    mtimeNs: view.getBigInt64(48, true) * NS_PER_S + view.getBigInt64(56, true),
    ctimeNs: view.getBigInt64(64, true) * NS_PER_S + view.getBigInt64(72, true),
  };
}

/**
 * open(2)'s flags for readFile: O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, or undefined
 * where they are not known (Linux numbers O_NOFOLLOW per architecture).
 */
export function readFileFlags(flavor: LibcFlavor, arch: string = process.arch): number | undefined {
  if (flavor !== "linux") return 0x100 | 0x4 | 0x1000000;
  const noFollow = arch === "x64" ? 0o400000 : arch === "arm64" ? 0o100000 : undefined;
  return noFollow === undefined ? undefined : noFollow | 0o4000 | 0o2000000;
}

/**
 * Where readdir's `struct dirent` keeps d_type and d_name. glibc (dirent = dirent64 on 64-bit):
 * d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name. macOS (64-bit inodes): d_ino u64,
 * d_seekoff u64, d_reclen u16, d_namlen u16, d_type u8, d_name.
 */
const DIRENT_LAYOUT: Record<LibcFlavor, { type: number; name: number }> = {
  linux: { type: 18, name: 19 },
  "darwin-arm64": { type: 20, name: 21 },
  "darwin-x64": { type: 20, name: 21 },
};

/** The first read's buffer: a launch record or a small JSON file fits in one call. */
const FIRST_READ_BYTES = 16 * 1024;

type Fn = (...args: unknown[]) => unknown;

/**
 * dlopens libc (or a stand-in exporting the same names) for the calls of LibcReads. On macOS
 * x86_64 the stat and directory calls carry `$INODE64` (the plain names are the old 32-bit-inode
 * ABI). Throws when a symbol is missing or errno cannot be reached (every answer depends on it).
 */
export function openLibcReads(flavor: LibcFlavor, path: string = LIBC_PATHS[flavor]): LibcReads {
  const f = ffi();
  const linux = flavor === "linux";
  const inode64 = flavor === "darwin-x64" ? "$INODE64" : "";
  const errnoName = linux ? "__errno_location" : "__error";
  const statSymbols = linux
    ? { statx: { args: [I32, PTR, I32, U32, PTR], returns: I32 } }
    : {
        [`lstat${inode64}`]: { args: [PTR, PTR], returns: I32 },
        [`stat${inode64}`]: { args: [PTR, PTR], returns: I32 },
      };
  const lib = f.dlopen(path, {
    ...statSymbols,
    [`opendir${inode64}`]: { args: [PTR], returns: PTR },
    [`readdir${inode64}`]: { args: [PTR], returns: PTR },
    closedir: { args: [PTR], returns: I32 },
    readlink: { args: [PTR, PTR, U64], returns: SSIZE },
    access: { args: [PTR, I32], returns: I32 },
    // open is variadic; without O_CREAT it takes no mode, so two fixed arguments are its whole call.
    open: { args: [PTR, I32], returns: I32 },
    read: { args: [I32, PTR, U64], returns: SSIZE },
    close: { args: [I32], returns: I32 },
    [errnoName]: { args: [], returns: PTR },
  });
  const s = lib.symbols as unknown as Record<string, Fn>;
  const statx = s.statx as (dirfd: number, p: Pointer, flags: number, mask: number, b: Pointer) => number;
  const lstat = s[`lstat${inode64}`] as (p: Pointer, b: Pointer) => number;
  const stat = s[`stat${inode64}`] as (p: Pointer, b: Pointer) => number;
  const opendir = s[`opendir${inode64}`] as (p: Pointer) => Pointer | bigint | null;
  const readdir = s[`readdir${inode64}`] as (d: Pointer | bigint) => Pointer | bigint | null;
  const closedir = s.closedir as (d: Pointer | bigint) => number;
  const readlink = s.readlink as (p: Pointer, b: Pointer, n: number) => number | bigint;
  const access = s.access as (p: Pointer, mode: number) => number;
  const open = s.open as (p: Pointer, flags: number) => number;
  const read = s.read as (fd: number, b: Pointer, n: number) => number | bigint;
  const close = s.close as (fd: number) => number;

  // errno lives at a fixed address for the thread. A thread-local address is far below 2^53;
  // anything else cannot be read, and then nothing here is used.
  const errnoAt = (s[errnoName] as () => Pointer | bigint | null)();
  if (typeof errnoAt !== "number" || errnoAt === 0) throw new Error("errno is out of reach");
  // Read right after the failing call; cleared before readdir, whose NULL means "the end" and
  // "an error" alike.
  const errno = new Int32Array(f.toArrayBuffer(errnoAt, 0, 4));

  // Own ArrayBuffers before any pointer is taken (the reason is given in libc.ts).
  const encoder = new TextEncoder();
  const pathBytes = new Uint8Array(new ArrayBuffer(MAX_PATH_UNITS * 3 + 1));
  const pathPtr = f.ptr(pathBytes);
  const setPath = (p: string): boolean => encodePath(p, pathBytes, encoder);
  const statBuffer = new ArrayBuffer(STAT_BUFFER_BYTES);
  const statPtr = f.ptr(statBuffer);
  const view = new DataView(statBuffer);
  const linkBuffer = new ArrayBuffer(PATH_BUFFER_BYTES + 1);
  const linkPtr = f.ptr(linkBuffer);
  const decoder = new TextDecoder();
  const layout = DIRENT_LAYOUT[flavor];
  const flags = readFileFlags(flavor);

  return {
    statFull(filePath, follow) {
      if (!setPath(filePath)) return NOT_ASKED;
      if (linux) {
        const rc = statx(AT_FDCWD, pathPtr, follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, statPtr);
        return rc === 0 ? decodeStatx(view) : (errno[0] as number);
      }
      return (follow ? stat : lstat)(pathPtr, statPtr) === 0 ? decodeDarwinStat(view) : (errno[0] as number);
    },
    readdir(dirPath) {
      if (!setPath(dirPath)) return NOT_ASKED;
      const dir = opendir(pathPtr);
      if (dir === null) return errno[0] as number;
      try {
        // The DIR pointer only goes back to C (a bigint above 2^53 intact); an entry is read here,
        // so one that a number cannot hold is not read at all.
        const entries: RawDirEntry[] = [];
        for (;;) {
          errno[0] = 0;
          const entry = readdir(dir);
          if (entry === null) return errno[0] === 0 ? entries : (errno[0] as number);
          if (typeof entry !== "number") return NOT_ASKED;
          const name = new f.CString(entry, layout.name).toString();
          if (name !== "." && name !== "..") entries.push({ name, type: f.read.u8(entry, layout.type) });
        }
      } finally {
        closedir(dir);
      }
    },
    readlink(linkPath) {
      if (!setPath(linkPath)) return NOT_ASKED;
      const n = Number(readlink(pathPtr, linkPtr, PATH_BUFFER_BYTES));
      if (n < 0) return errno[0] as number;
      // A target that fills the buffer may have been cut short.
      if (n >= PATH_BUFFER_BYTES) return NOT_ASKED;
      return decoder.decode(new Uint8Array(linkBuffer, 0, n));
    },
    access(filePath, mode) {
      if (!setPath(filePath)) return NOT_ASKED;
      return access(pathPtr, mode) === 0 ? 0 : (errno[0] as number);
    },
    readFile(filePath, maxBytes) {
      if (flags === undefined || !setPath(filePath)) return NOT_ASKED;
      const fd = open(pathPtr, flags);
      if (fd < 0) return errno[0] as number;
      try {
        const limit = maxBytes + 1;
        let buffer = new ArrayBuffer(Math.min(limit, FIRST_READ_BYTES));
        let total = 0;
        for (;;) {
          if (total === buffer.byteLength) {
            if (total >= limit) break;
            const next = new ArrayBuffer(Math.min(limit, total * 2));
            new Uint8Array(next).set(new Uint8Array(buffer));
            buffer = next;
          }
          const n = Number(read(fd, f.ptr(buffer, total), buffer.byteLength - total));
          if (n < 0) return errno[0] as number;
          if (n === 0) break;
          total += n;
        }
        return new Uint8Array(buffer, 0, total);
      } finally {
        close(fd);
      }
    },
  };
}
