// The one place that decides whether cc-pool may read, write or delete a path. Everything cc-pool
// changes lives under CCP_HOME; a symlink, FIFO or foreign directory planted there must never lead
// a write, a delete or a blocking read somewhere else (the base `~/.claude` above all).
import type { Stats } from "node:fs";
import { dirname, join, resolve } from "./posix-path.ts";
import { CcpError } from "../errors.ts";
import {
  assertOwnedByMe,
  describeKind,
  isDirectory,
  isInsidePath,
  isSymlink,
  lstatPath,
  nodeFs,
  realpathOfNearest,
} from "./probe.ts";

export { assertOwnedByMe, describeKind, isInsidePath, realpathOfNearest };

/** Claude Code's JSON files: a large `.claude.json` with years of projects stays well below this. */
export const CLAUDE_JSON_MAX_BYTES = 64 * 1024 * 1024;
/** A credential blob is a few KB (more with many MCP logins); anything this large is not one. */
export const CREDENTIAL_MAX_BYTES = 32 * 1024 * 1024;
/** Claude's files nest a handful of levels; far deeper means a hostile or broken file. */
export const JSON_MAX_DEPTH = 256;

function errnoCode(cause: unknown): string | undefined {
  return (cause as NodeJS.ErrnoException | undefined)?.code;
}

function unsafe(message: string, hint: string): CcpError {
  return new CcpError("unsafe-path", message, { hint });
}

/**
 * Throws unless `path`, with every symlink on the way resolved, lies inside `root` (also resolved).
 * A path that does not exist yet is judged by its nearest existing ancestor.
 */
export function assertInside(root: string, path: string): void {
  const realRoot = realpathOfNearest(root);
  const realPath = realpathOfNearest(path);
  if (!isInsidePath(realRoot, realPath)) {
    throw unsafe(
      `Refusing to touch ${path}: it leads to ${realPath}, outside ${root}.`,
      `Something under ${root} is a symbolic link to elsewhere; move it aside and run the command again.`,
    );
  }
}

/**
 * Checks an account's config dir before anything reads or changes it: a real directory (not a
 * symlink), owned by this user, directly inside `accountsDir`. Returns "missing" when it does not
 * exist, so callers can report that in their own words.
 */
export function assertAccountDir(accountsDir: string, configDir: string): "ok" | "missing" {
  const dir = resolve(configDir);
  if (dirname(dir) !== resolve(accountsDir)) {
    throw unsafe(
      `The account dir ${configDir} is not inside ${accountsDir}.`,
      "cc-pool only uses account dirs it created under CCP_HOME/accounts; remove the account (`ccp remove`) and add it again.",
    );
  }
  const accounts = lstatPath(accountsDir);
  if (accounts !== undefined && isSymlink(accounts)) {
    throw unsafe(
      `${accountsDir} is a symbolic link; cc-pool keeps its account dirs in a real folder.`,
      "Move the link aside; `ccp add` creates the folder again (the accounts in it must be added again).",
    );
  }
  const stats = lstatPath(dir);
  if (stats === undefined) return "missing";
  if (isSymlink(stats)) {
    throw unsafe(
      `The account dir ${configDir} is a symbolic link; cc-pool never follows it.`,
      "Move the link aside (it may point at your own ~/.claude), then remove the account with `ccp remove` and add it again.",
    );
  }
  if (!isDirectory(stats)) {
    throw unsafe(
      `The account dir ${configDir} is ${describeKind(stats)}, not a directory.`,
      "Move it aside, then remove the account with `ccp remove` and add it again.",
    );
  }
  assertOwnedByMe(configDir, stats);
  assertInside(accountsDir, dir);
  return "ok";
}

/**
 * Deletes `path` (a file, a link, or a whole tree) without ever following a symlink: a link is
 * unlinked, never entered. Refuses anything that does not lie strictly inside `root`.
 */
export function removeInsideTree(root: string, path: string): void {
  const target = resolve(path);
  if (target === resolve(root) || !isInsidePath(resolve(root), target)) {
    throw unsafe(
      `Refusing to delete ${path}: it is not inside ${root}.`,
      "This is a bug in cc-pool; nothing was deleted.",
    );
  }
  // The parent must really be inside the root: a linked parent would make the unlink land elsewhere.
  assertInside(root, dirname(target));
  removeNoFollow(target);
}

function removeNoFollow(path: string): void {
  const stats = lstatPath(path);
  if (stats === undefined) return;
  const { readdirSync, rmdirSync, unlinkSync } = nodeFs();
  if (!isDirectory(stats)) {
    try {
      unlinkSync(path);
    } catch (cause) {
      if (errnoCode(cause) !== "ENOENT") throw cause;
    }
    return;
  }
  for (const name of readdirSync(path)) removeNoFollow(join(path, name));
  try {
    rmdirSync(path);
  } catch (cause) {
    if (errnoCode(cause) !== "ENOENT") throw cause;
  }
}

/**
 * Reads a file only when it is a regular file of at most `maxBytes`; undefined when it does not
 * exist. A FIFO, socket or device is refused before it is opened (and the open is non-blocking,
 * so a file swapped for a FIFO in between cannot hang the read either). Follows a symlink: the
 * user's own files (`~/.claude.json` kept in a dotfiles repo) may be links.
 */
export function readRegularFileBounded(path: string, maxBytes: number): Buffer | undefined {
  const { closeSync, constants, fstatSync, openSync, readSync, statSync } = nodeFs();
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (cause) {
    if (errnoCode(cause) === "ENOENT" || errnoCode(cause) === "ENOTDIR") return undefined;
    throw cause;
  }
  if (!stats.isFile()) throw notRegular(path, stats);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw notRegular(path, opened);
    if (opened.size > maxBytes) throw tooLarge(path, opened.size, maxBytes);
    // The size may change while reading (Claude rewriting it): read to EOF, never past the bound.
    let buf = Buffer.alloc(Math.min(opened.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      if (total === buf.length) {
        if (total > maxBytes) throw tooLarge(path, total, maxBytes);
        const next = Buffer.alloc(Math.min(buf.length * 2, maxBytes + 1));
        buf.copy(next);
        buf = next;
      }
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
    }
    if (total > maxBytes) throw tooLarge(path, total, maxBytes);
    return buf.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}

function notRegular(path: string, stats: Stats): CcpError {
  return unsafe(
    `${path} is ${describeKind(stats)}, not a regular file; cc-pool does not read it.`,
    `Move ${path} aside; Claude Code writes a regular file there.`,
  );
}

function tooLarge(path: string, size: number, maxBytes: number): CcpError {
  return unsafe(
    `${path} is larger than ${Math.round(maxBytes / 1024)} KB (${size} bytes); cc-pool does not read it.`,
    `Check what wrote ${path}; move it aside if it is not Claude Code's file.`,
  );
}

/** The deepest nesting of arrays and objects in a JSON text, stopping once past `limit`. */
function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export interface JsonBounds {
  /** Deepest nesting of arrays and objects accepted. */
  maxDepth?: number;
  /** Names the file in the error. */
  source: string;
}

/** Error thrown by `parseJsonBounded`; its message names the file and the problem. */
export class JsonReadError extends CcpError {
  readonly detail: string;
  constructor(source: string, detail: string) {
    super("failure", `${source} cannot be read: ${detail}.`, {
      hint: `Repair ${source}, or move it aside; cc-pool leaves it as it is.`,
    });
    this.detail = detail;
  }
}

/**
 * JSON.parse with a bound on nesting: a file nested thousands deep parses, but every later walk of
 * it (deep compare, stringify) overflows the stack, so it is refused up front, naming the file.
 */
export function parseJsonBounded(text: string, bounds: JsonBounds): unknown {
  const maxDepth = bounds.maxDepth ?? JSON_MAX_DEPTH;
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new JsonReadError(bounds.source, `nested deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new JsonReadError(bounds.source, `not valid JSON (${(cause as Error).message})`);
  }
}
