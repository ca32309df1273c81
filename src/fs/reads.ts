// What `ccp run` reads before claude starts when nothing needs to change (the claude binary, a
// directory's entries, a link's target, a file's signature, the launch record), answered without
// loading node:fs, the way probe.ts answers the path checks of every command: libc through
// bun:ffi (src/ffi/libc-reads.ts), and node:fs only for what libc could not answer (an error other
// than "not there", an odd path, a system without the binding), which then gives its own answer
// or throws its own error. Nothing here writes: whatever must change loads node:fs (`nodeFs()`).
import type { BigIntStats, Dirent } from "node:fs";
import { join } from "./posix-path.ts";
import { ENOENT, ENOTDIR, NOT_ASKED, hostLibcFlavor } from "../ffi/libc.ts";
import { DT, EINVAL, type LibcReads, X_OK, openLibcReads } from "../ffi/libc-reads.ts";
import { S_IFMT, isRegularFile, lstatPath, nodeFs, statPath } from "./probe.ts";

/** What a file's signature is made of (launch-record.ts); a node:fs `BigIntStats` is one too. */
export interface SignatureFacts {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: number | bigint;
  readonly size: number | bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** A directory entry as cc-pool reads it; a node:fs `Dirent` is one too. */
export interface EntryFacts {
  readonly name: string;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

/** Where the answers come from. Tests compare the two; everything else uses the functions below. */
export interface Reads {
  /** stat (follow) or lstat with a signature's fields, or undefined when nothing is there. */
  statFull(path: string, follow: boolean): SignatureFacts | undefined;
  /** A directory's entries ("." and ".." left out), or undefined when it does not exist. */
  readdir(path: string): EntryFacts[] | undefined;
  /** A link's target, or undefined when nothing is there or it is not a link. */
  readlink(path: string): string | undefined;
  /** A regular file (links followed) this process may execute. Never throws. */
  isExecutableFile(path: string): boolean;
  /**
   * At most `maxBytes + 1` bytes of a file (more than `maxBytes` means "too large"), or undefined
   * when nothing is there. A link is refused and a FIFO never waited on: node:fs's error then.
   */
  readFileNoFollow(path: string, maxBytes: number): Uint8Array | undefined;
}

function errnoCode(cause: unknown): string | undefined {
  return (cause as NodeJS.ErrnoException | undefined)?.code;
}

/** Runs a node:fs call, with "not there" as undefined and every other error thrown. */
function orMissing<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch (cause) {
    const code = errnoCode(cause);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw cause;
  }
}

/** node:fs's answers: loaded on first use. */
export const nodeReads: Reads = {
  statFull: (path, follow) =>
    orMissing(() => {
      const fs = nodeFs();
      return (
        follow ? fs.statSync(path, { bigint: true }) : fs.lstatSync(path, { bigint: true })
      ) as BigIntStats;
    }),
  readdir: (path) => orMissing(() => nodeFs().readdirSync(path, { withFileTypes: true }) as Dirent[]),
  readlink: (path) =>
    orMissing(() => {
      try {
        return nodeFs().readlinkSync(path);
      } catch (cause) {
        if (errnoCode(cause) === "EINVAL") return undefined;
        throw cause;
      }
    }),
  isExecutableFile(path) {
    const fs = nodeFs();
    try {
      if (!fs.statSync(path).isFile()) return false;
      fs.accessSync(path, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  readFileNoFollow(path, maxBytes) {
    const fs = nodeFs();
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    const fd = orMissing(() => fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK));
    if (fd === undefined) return undefined;
    try {
      const buffer = Buffer.alloc(maxBytes + 1);
      let total = 0;
      while (total < buffer.length) {
        const n = fs.readSync(fd, buffer, total, buffer.length - total, null);
        if (n === 0) break;
        total += n;
      }
      return new Uint8Array(buffer.buffer, buffer.byteOffset, total);
    } finally {
      fs.closeSync(fd);
    }
  },
};

/** The kind bits (S_IFMT) of each d_type. */
const KIND_OF_DT: Record<number, number> = {
  [DT.dir]: 0o040000,
  [DT.reg]: 0o100000,
  [DT.lnk]: 0o120000,
  [DT.fifo]: 0o010000,
  [DT.sock]: 0o140000,
  [DT.chr]: 0o020000,
  [DT.blk]: 0o060000,
};

/** A directory entry read through libc: the kind its d_type gave (or an lstat, for DT_UNKNOWN). */
class LibcEntry implements EntryFacts {
  constructor(
    readonly name: string,
    private readonly kind: number,
  ) {}
  isDirectory(): boolean {
    return this.kind === KIND_OF_DT[DT.dir];
  }
  isFile(): boolean {
    return this.kind === KIND_OF_DT[DT.reg];
  }
  isSymbolicLink(): boolean {
    return this.kind === KIND_OF_DT[DT.lnk];
  }
}

/**
 * libc's answers where it has one ("there", "not there", not a link); node:fs's (the fallback's)
 * for the rest.
 */
export function libcReads(libc: LibcReads, fallback: Reads = nodeReads): Reads {
  const answer = <T>(result: T | number, ask: () => T | undefined): T | undefined => {
    if (typeof result !== "number") return result;
    if (result === ENOENT || result === ENOTDIR) return undefined;
    return ask();
  };
  return {
    statFull: (path, follow) => answer(libc.statFull(path, follow), () => fallback.statFull(path, follow)),
    readdir(path) {
      const raw = libc.readdir(path);
      if (typeof raw === "number") return answer(raw, () => fallback.readdir(path));
      const entries: EntryFacts[] = [];
      for (const { name, type } of raw) {
        let kind = KIND_OF_DT[type];
        if (kind === undefined) {
          // DT_UNKNOWN (some file systems never say): ask the entry itself.
          const facts = lstatPath(join(path, name));
          if (facts === undefined) continue;
          kind = facts.mode & S_IFMT;
        }
        entries.push(new LibcEntry(name, kind));
      }
      return entries;
    },
    readlink(path) {
      const raw = libc.readlink(path);
      return raw === EINVAL ? undefined : answer(raw, () => fallback.readlink(path));
    },
    isExecutableFile(path) {
      let facts: ReturnType<typeof statPath>;
      try {
        facts = statPath(path);
      } catch {
        return false;
      }
      if (facts === undefined || !isRegularFile(facts)) return false;
      const allowed = libc.access(path, X_OK);
      if (allowed === NOT_ASKED) return fallback.isExecutableFile(path);
      return allowed === 0;
    },
    readFileNoFollow: (path, maxBytes) =>
      answer(libc.readFile(path, maxBytes), () => fallback.readFileNoFollow(path, maxBytes)),
  };
}

let chosen: Reads | undefined;

/** libc when it loads here, node:fs otherwise. Made once per process, on first use. */
function reads(): Reads {
  if (chosen === undefined) {
    const flavor = hostLibcFlavor();
    try {
      chosen = flavor === undefined ? nodeReads : libcReads(openLibcReads(flavor));
    } catch {
      chosen = nodeReads;
    }
  }
  return chosen;
}

export const statFull = (path: string, follow: boolean): SignatureFacts | undefined =>
  reads().statFull(path, follow);
export const readDirEntries = (path: string): EntryFacts[] | undefined => reads().readdir(path);
export const readLinkTarget = (path: string): string | undefined => reads().readlink(path);
export const isExecutableFile = (path: string): boolean => reads().isExecutableFile(path);
export const readFileNoFollow = (path: string, maxBytes: number): Uint8Array | undefined =>
  reads().readFileNoFollow(path, maxBytes);
