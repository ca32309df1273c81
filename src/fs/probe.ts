// Questions about paths that every command asks before it opens the pool (what is there, whose is
// it, where does it really lead), answered without loading node:fs: libc answers them through
// bun:ffi (src/ffi/libc.ts) and node:fs is loaded only for what libc could not answer: an error
// other than "not there", an odd path, a system without the binding. node:fs then gives its own
// answer, or throws its own error, exactly as if it had been asked in the first place.
import type { Stats } from "node:fs";
import { dirname, join, resolve, sep } from "./posix-path.ts";
import { CcpError } from "../errors.ts";
import { ENOENT, ENOTDIR, type LibcFiles, hostLibcFlavor, openLibcFiles } from "../ffi/libc.ts";

/** The part of a stat answer cc-pool's checks use; a node:fs `Stats` is one too. */
export interface PathFacts {
  readonly mode: number;
  readonly uid: number;
  readonly size: number;
}

export const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

export const isDirectory = (f: PathFacts): boolean => (f.mode & S_IFMT) === S_IFDIR;
export const isRegularFile = (f: PathFacts): boolean => (f.mode & S_IFMT) === S_IFREG;
export const isSymlink = (f: PathFacts): boolean => (f.mode & S_IFMT) === S_IFLNK;

/** What a non-regular file is, in words for a message. */
export function describeKind(facts: PathFacts): string {
  switch (facts.mode & S_IFMT) {
    case S_IFLNK:
      return "a symbolic link";
    case S_IFDIR:
      return "a directory";
    case S_IFIFO:
      return "a named pipe (FIFO)";
    case S_IFSOCK:
      return "a socket";
    case S_IFCHR:
    case S_IFBLK:
      return "a device";
    default:
      return "not a regular file";
  }
}

/** Where the answers come from. Tests compare the two; everything else uses `defaultProbe()`. */
export interface Probe {
  /** The path itself (a link is not followed), or undefined when nothing is there. */
  lstat(path: string): PathFacts | undefined;
  /** What the path leads to, or undefined when nothing is there (a dangling link included). */
  stat(path: string): PathFacts | undefined;
  /** The path with every link resolved, or undefined when it does not exist. */
  realpath(path: string): string | undefined;
}

function errnoCode(cause: unknown): string | undefined {
  return (cause as NodeJS.ErrnoException | undefined)?.code;
}

function missing(cause: unknown): undefined {
  const code = errnoCode(cause);
  if (code === "ENOENT" || code === "ENOTDIR") return undefined;
  throw cause;
}

/** node:fs, loaded on first use: for what only it can do (a first run's mkdir, a chmod). */
export function nodeFs(): typeof import("node:fs") {
  return require("node:fs") as typeof import("node:fs");
}

/** node:fs's answers: loaded on first use. */
export const nodeProbe: Probe = {
  lstat(path) {
    try {
      return nodeFs().lstatSync(path) as Stats;
    } catch (cause) {
      return missing(cause);
    }
  },
  stat(path) {
    try {
      return nodeFs().statSync(path) as Stats;
    } catch (cause) {
      return missing(cause);
    }
  },
  realpath(path) {
    try {
      return nodeFs().realpathSync(path);
    } catch (cause) {
      return missing(cause);
    }
  },
};

/** libc's answers where it has one ("there", "not there"); node:fs's for everything else. */
export function libcProbe(libc: LibcFiles): Probe {
  const answer = <T>(
    result: T | number,
    path: string,
    ask: (path: string) => T | undefined,
  ): T | undefined => {
    if (typeof result !== "number") return result;
    if (result === ENOENT || result === ENOTDIR) return undefined;
    return ask(path);
  };
  return {
    lstat: (path) => answer(libc.lstat(path), path, nodeProbe.lstat),
    stat: (path) => answer(libc.stat(path), path, nodeProbe.stat),
    realpath: (path) => answer(libc.realpath(path), path, nodeProbe.realpath),
  };
}

let chosen: Probe | undefined;

/** libc when it loads and reads correctly here, node:fs otherwise. Made once per process. */
function defaultProbe(): Probe {
  if (chosen === undefined) {
    const flavor = hostLibcFlavor();
    try {
      chosen = flavor === undefined ? nodeProbe : libcProbe(openLibcFiles(flavor));
    } catch {
      chosen = nodeProbe;
    }
  }
  return chosen;
}

export const lstatPath = (path: string): PathFacts | undefined => defaultProbe().lstat(path);
export const statPath = (path: string): PathFacts | undefined => defaultProbe().stat(path);
export const realpathPath = (path: string): string | undefined => defaultProbe().realpath(path);

/** True when `path` is `root` or lies below it (both already absolute and normalised). */
export function isInsidePath(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** `path` itself when it exists, else its nearest existing ancestor, with every link resolved. */
export function realpathOfNearest(path: string, probe: Probe = defaultProbe()): string {
  let current = resolve(path);
  const notThere: string[] = [];
  for (;;) {
    const real = probe.realpath(current);
    if (real !== undefined) return join(real, ...notThere.reverse());
    const parent = dirname(current);
    if (parent === current) return resolve(path);
    notThere.push(current.slice(parent.length).replace(/^\//, ""));
    current = parent;
  }
}

function currentUid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/** Refuses a file or dir that belongs to another user: its owner could swap what cc-pool reads. */
export function assertOwnedByMe(path: string, facts: PathFacts): void {
  const uid = currentUid();
  if (uid === undefined || facts.uid === uid) return;
  throw new CcpError(
    "unsafe-path",
    `${path} belongs to another user (uid ${facts.uid}); cc-pool only uses folders you own.`,
    { hint: "Point CCP_HOME at a folder of your own, or fix the owner with `chown`." },
  );
}
