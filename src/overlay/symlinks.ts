// Reads go through probe.ts and reads.ts (libc, no node:fs), so a launch whose links are all in
// place loads nothing more; whatever must change loads node:fs.
import { join, resolve, sep } from "../fs/posix-path.ts";
import { isDirectory, isSymlink as isLinkFacts, lstatPath, nodeFs, statPath } from "../fs/probe.ts";
import { type EntryFacts as Dirent, readDirEntries, readLinkTarget } from "../fs/reads.ts";
import { CcpError } from "../errors.ts";
import { type MergeIntoBaseResult, mergeEntryIntoBase } from "./merge-into-base.ts";
import { SHARED_BASE_DIRS, SHARED_BASE_FILES, isProjected } from "./policy.ts";

export type BaseState = "present" | "missing" | "not-a-directory";

export interface OverlayPaths {
  /** `~/.claude`: read here; written only by `ensureBaseSharedDirs` and the `mergeIntoBase` option. */
  baseDir: string;
  /** The account's config dir (`$CCP_HOME/accounts/acct-NN`). */
  accountDir: string;
}

/** Something in the account dir that blocks a link. It is left exactly as it is. */
export interface OverlayConflict {
  name: string;
  path: string;
  kind: "file" | "directory" | "other" | "error";
  message: string;
  /** For a real dir that was merged: the paths (relative to it) that differ from the base's. */
  collisions?: string[];
}

/** A symlink that is not ours to manage: it points outside the base and has no base entry. */
export interface ForeignLink {
  name: string;
  path: string;
  target: string;
}

export interface OverlayReport {
  base: BaseState;
  /** Names linked by this sync. */
  created: string[];
  /** Links that pointed elsewhere and now point at the base entry. */
  fixed: { name: string; previousTarget: string }[];
  /** Links into the base whose base entry is gone or is private. */
  removed: { name: string; previousTarget: string }[];
  conflicts: OverlayConflict[];
  foreign: ForeignLink[];
  /** Names that were already linked correctly. */
  ok: string[];
  /** Real shared entries of the account moved into the base (with `mergeIntoBase`). */
  merged: MergeIntoBaseResult[];
}

export interface SyncOptions {
  /**
   * Move a real shared dir (or `history.jsonl`) the account grew into the base, never over an
   * existing file, then link it. Name collisions stay where they are and are reported.
   */
  mergeIntoBase?: boolean;
}

export interface OverlayCheck {
  base: BaseState;
  account: "present" | "missing";
  /** Shared dirs the base lacks (`ensureBaseSharedDirs` creates them). */
  baseMissing: string[];
  ok: string[];
  missing: string[];
  wrong: { name: string; path: string; target: string; expected: string }[];
  stale: { name: string; path: string; target: string }[];
  conflicts: OverlayConflict[];
  foreign: ForeignLink[];
  /** Nothing for `ccp doctor --fix` to do (foreign links are informational). */
  healthy: boolean;
}

interface OverlayPlan {
  base: BaseState;
  ok: string[];
  create: string[];
  fix: { name: string; target: string }[];
  remove: { name: string; target: string }[];
  conflicts: OverlayConflict[];
  foreign: ForeignLink[];
}

function errnoCode(cause: unknown): string | undefined {
  return (cause as NodeJS.ErrnoException | undefined)?.code;
}

function readBaseNames(baseDir: string): { state: BaseState; names: string[] } {
  try {
    // stat, not lstat: a `~/.claude` kept in a dotfiles repo and symlinked home is still the base.
    const facts = statPath(baseDir);
    if (facts === undefined) return { state: "missing", names: [] };
    if (!isDirectory(facts)) return { state: "not-a-directory", names: [] };
    const entries = readDirEntries(baseDir);
    if (entries === undefined) return { state: "missing", names: [] };
    return {
      state: "present",
      names: entries
        .map((e) => e.name)
        .filter(isProjected)
        .sort(),
    };
  } catch (cause) {
    throw unreadable(baseDir, cause);
  }
}

function unreadable(path: string, cause: unknown): CcpError {
  return new CcpError("failure", `Cannot read ${path}: ${(cause as Error).message}.`, {
    hint: "Check the folder's permissions; cc-pool only needs to read it.",
    cause,
  });
}

/**
 * The account dir's entries, or undefined when the dir does not exist. An account dir that is a
 * symlink is refused: its "entries" would be those of the link's target (`~/.claude` itself).
 */
function readAccountEntries(accountDir: string): Map<string, Dirent> | undefined {
  if (isSymlink(accountDir)) {
    throw new CcpError(
      "unsafe-path",
      `The account dir ${accountDir} is a symbolic link; cc-pool never follows it.`,
      {
        hint: "Move the link aside, then remove the account with `ccp remove` and add it again.",
      },
    );
  }
  let entries: Dirent[] | undefined;
  try {
    entries = readDirEntries(accountDir);
  } catch (cause) {
    throw unreadable(accountDir, cause);
  }
  return entries && new Map(entries.map((entry) => [entry.name, entry]));
}

/** Code-unit order, the same as `Array.prototype.sort()` on the names: stable across locales. */
function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

function conflictFor(name: string, path: string, entry: Dirent): OverlayConflict {
  if (entry.isDirectory()) {
    return {
      name,
      path,
      kind: "directory",
      message: `${path} is a real directory, not a link into the base`,
    };
  }
  if (entry.isFile()) {
    return { name, path, kind: "file", message: `${path} is a real file, not a link into the base` };
  }
  return { name, path, kind: "other", message: `${path} is in the way of the link into the base` };
}

function planOverlay(baseDir: string, accountDir: string, entries: Map<string, Dirent>): OverlayPlan {
  const base = readBaseNames(baseDir);
  const plan: OverlayPlan = {
    base: base.state,
    ok: [],
    create: [],
    fix: [],
    remove: [],
    conflicts: [],
    foreign: [],
  };
  // With no base there is nothing to project; links into a vanished base are left for when it returns.
  if (base.state !== "present") return plan;

  const projected = new Set(base.names);
  for (const name of base.names) {
    const entry = entries.get(name);
    const path = join(accountDir, name);
    if (entry === undefined) {
      plan.create.push(name);
    } else if (entry.isSymbolicLink()) {
      const target = readLink(path);
      if (target === undefined) plan.create.push(name);
      else if (target === join(baseDir, name)) plan.ok.push(name);
      else plan.fix.push({ name, target });
    } else {
      plan.conflicts.push(conflictFor(name, path, entry));
    }
  }
  for (const [name, entry] of entries) {
    if (projected.has(name) || !entry.isSymbolicLink()) continue;
    const path = join(accountDir, name);
    const target = readLink(path);
    if (target === undefined) continue;
    // Only links into the base are the overlay's; anything else was put there by someone else.
    if (isInside(resolve(accountDir, target), baseDir)) plan.remove.push({ name, target });
    else plan.foreign.push({ name, path, target });
  }
  plan.remove.sort(byName);
  plan.foreign.sort(byName);
  return plan;
}

/** A link's target, or undefined when it vanished since the readdir (a concurrent sync removed it). */
function readLink(path: string): string | undefined {
  try {
    return readLinkTarget(path);
  } catch {
    return undefined;
  }
}

function isSymlink(path: string): boolean {
  try {
    const facts = lstatPath(path);
    return facts !== undefined && isLinkFacts(facts);
  } catch {
    return false;
  }
}

/**
 * Makes every projected top-level entry of the base appear in the account dir as an absolute
 * symlink. Creates missing links, repoints wrong ones, drops links into the base whose entry is
 * gone, and never overwrites a real file or dir (reported as a conflict). With `mergeIntoBase`, a
 * real shared entry is first moved into the base (merge-into-base.ts). Idempotent; one readdir of
 * each dir plus a readlink per link (and an lstat per real entry), cheap enough for every `ccp run`.
 */
export function syncOverlay(paths: OverlayPaths, options: SyncOptions = {}): OverlayReport {
  const baseDir = resolve(paths.baseDir);
  const accountDir = resolve(paths.accountDir);
  let entries = readAccountEntries(accountDir);
  if (entries === undefined) {
    throw new CcpError("failure", `The account dir ${accountDir} does not exist.`, {
      hint: "Run `ccp doctor` to see which account is affected; remove and re-add it with `ccp add`.",
    });
  }
  const merged: MergeIntoBaseResult[] = [];
  if (options.mergeIntoBase && readBaseState(baseDir) === "present") {
    const mergeable = mergeableEntries(baseDir, entries);
    for (const name of mergeable)
      merged.push(mergeEntryIntoBase(join(accountDir, name), join(baseDir, name), name));
    if (mergeable.length > 0) entries = readAccountEntries(accountDir) ?? new Map();
  }
  const plan = planOverlay(baseDir, accountDir, entries);
  const report: OverlayReport = {
    base: plan.base,
    created: [],
    fixed: [],
    removed: [],
    conflicts: plan.conflicts.map((c) => withCollisions(c, merged)),
    foreign: plan.foreign,
    ok: plan.ok,
    merged: merged.filter((m) => m.moved + m.duplicates > 0 || m.linked),
  };
  const failed = (name: string, path: string, cause: unknown): void => {
    report.conflicts.push({ name, path, kind: "error", message: `${path}: ${(cause as Error).message}` });
  };

  for (const name of plan.create) {
    const path = join(accountDir, name);
    try {
      nodeFs().symlinkSync(join(baseDir, name), path);
      report.created.push(name);
    } catch (cause) {
      if (errnoCode(cause) === "EEXIST") {
        report.conflicts.push({
          name,
          path,
          kind: "other",
          message: `${path} appeared while linking it; left as is`,
        });
      } else {
        failed(name, path, cause);
      }
    }
  }
  for (const { name, target } of plan.fix) {
    const path = join(accountDir, name);
    const tmp = join(accountDir, `${name}.tmp.${process.pid}.link`);
    try {
      // Re-check right before replacing: a session may have swapped the link for a real file since.
      if (!isSymlink(path)) {
        report.conflicts.push({
          name,
          path,
          kind: "other",
          message: `${path} changed while linking it; left as is`,
        });
        continue;
      }
      nodeFs().symlinkSync(join(baseDir, name), tmp);
      nodeFs().renameSync(tmp, path);
      report.fixed.push({ name, previousTarget: target });
    } catch (cause) {
      if (isSymlink(tmp)) nodeFs().unlinkSync(tmp);
      failed(name, path, cause);
    }
  }
  for (const { name, target } of plan.remove) {
    const path = join(accountDir, name);
    try {
      if (!isSymlink(path)) continue;
      nodeFs().unlinkSync(path);
      report.removed.push({ name, previousTarget: target });
    } catch (cause) {
      failed(name, path, cause);
    }
  }
  return report;
}

/**
 * Real entries of the account that belong in the base: a real dir whose base entry is a dir, and
 * a known shared dir or file the base does not have at all (sessions create those at once).
 */
function mergeableEntries(baseDir: string, entries: Map<string, Dirent>): string[] {
  const names: string[] = [];
  for (const [name, entry] of entries) {
    if (!isProjected(name) || entry.isSymbolicLink()) continue;
    const base = lstatPath(join(baseDir, name));
    if (entry.isDirectory()) {
      if (
        (base !== undefined && isDirectory(base)) ||
        (base === undefined && SHARED_BASE_DIRS.includes(name))
      )
        names.push(name);
    } else if (entry.isFile() && base === undefined && SHARED_BASE_FILES.includes(name)) {
      names.push(name);
    }
  }
  return names.sort();
}

function withCollisions(conflict: OverlayConflict, merged: MergeIntoBaseResult[]): OverlayConflict {
  const result = merged.find((m) => m.name === conflict.name);
  if (result === undefined) return conflict;
  if (result.error !== undefined) {
    return {
      ...conflict,
      kind: "error",
      message: `${conflict.path} could not be merged into the base: ${result.error}`,
    };
  }
  if (result.collisions.length === 0) return conflict;
  const shown = result.collisions.slice(0, 3).join(", ");
  const more = result.collisions.length > 3 ? ` and ${result.collisions.length - 3} more` : "";
  return {
    ...conflict,
    collisions: result.collisions,
    message: `${conflict.path} is a real directory; its other files were moved into the base, but ${shown}${more} also exist${result.collisions.length === 1 ? "s" : ""} there with different content`,
  };
}

/**
 * Creates every missing shared dir of `SHARED_BASE_DIRS` in the base (empty, 0700), so the first
 * pooled session writes through a link instead of into a per-account dir; a missing `~/.claude`
 * is created first. Never touches an entry that exists (a file in the way is reported).
 */
export function ensureBaseSharedDirs(baseDir: string): BaseDirsResult {
  const dir = resolve(baseDir);
  const result: BaseDirsResult = {
    base: readBaseState(dir),
    createdBase: false,
    created: [],
    present: [],
    blocked: [],
  };
  if (result.base === "missing") {
    // A machine where plain claude never ran (the alias sends every session to the pool): without
    // the folder nothing could be shared, so it is made the way claude makes it. Never its parent.
    try {
      nodeFs().mkdirSync(dir, { mode: 0o700 });
      result.createdBase = true;
    } catch (cause) {
      if (errnoCode(cause) !== "EEXIST") {
        throw new CcpError("failure", `Cannot create ${dir}: ${(cause as Error).message}.`, {
          hint: `Create the folder yourself (\`mkdir ${dir}\`) so accounts can share it.`,
          cause,
        });
      }
    }
    result.base = readBaseState(dir);
  }
  if (result.base !== "present") return result;
  for (const name of SHARED_BASE_DIRS) {
    const path = join(dir, name);
    const kind = entryKind(path);
    if (kind === "dir") {
      result.present.push(name);
      continue;
    }
    if (kind === "other") {
      result.blocked.push(name);
      continue;
    }
    try {
      nodeFs().mkdirSync(path, { mode: 0o700 });
      result.created.push(name);
    } catch (cause) {
      if (errnoCode(cause) === "EEXIST") {
        if (entryKind(path) === "dir") result.present.push(name);
        else result.blocked.push(name);
        continue;
      }
      throw new CcpError("failure", `Cannot create ${path}: ${(cause as Error).message}.`, {
        hint: `Create the folder yourself (\`mkdir ${path}\`) so it is shared across accounts.`,
        cause,
      });
    }
  }
  return result;
}

export interface BaseDirsResult {
  base: BaseState;
  /** `~/.claude` itself did not exist and was created (empty, 0700). */
  createdBase: boolean;
  created: string[];
  present: string[];
  /** Names held by something that is not a dir (a file, a link to nowhere): left alone. */
  blocked: string[];
}

/** Shared dirs the base lacks (for `ccp doctor`), without creating anything. */
export function missingBaseSharedDirs(baseDir: string): { missing: string[]; blocked: string[] } {
  const dir = resolve(baseDir);
  const out = { missing: [] as string[], blocked: [] as string[] };
  if (readBaseState(dir) !== "present") return out;
  for (const name of SHARED_BASE_DIRS) {
    const kind = entryKind(join(dir, name));
    if (kind === "missing") out.missing.push(name);
    else if (kind === "other") out.blocked.push(name);
  }
  return out;
}

function entryKind(path: string): "dir" | "other" | "missing" {
  try {
    // stat: a shared dir kept elsewhere and linked into ~/.claude still counts as present.
    const facts = statPath(path);
    if (facts !== undefined) return isDirectory(facts) ? "dir" : "other";
    // Nothing it leads to: missing, unless a dangling link holds the name.
    return lstatPath(path) === undefined ? "missing" : "other";
  } catch {
    return "other";
  }
}

/** The same analysis as `syncOverlay`, without changing anything (for `ccp doctor`). */
export function checkOverlay(paths: OverlayPaths): OverlayCheck {
  const baseDir = resolve(paths.baseDir);
  const accountDir = resolve(paths.accountDir);
  const entries = readAccountEntries(accountDir);
  const plan = planOverlay(baseDir, accountDir, entries ?? new Map());
  const baseMissing = missingBaseSharedDirs(baseDir).missing;
  const check: OverlayCheck = {
    base: plan.base,
    account: entries === undefined ? "missing" : "present",
    baseMissing,
    ok: plan.ok,
    missing: plan.create,
    wrong: plan.fix.map(({ name, target }) => ({
      name,
      path: join(accountDir, name),
      target,
      expected: join(baseDir, name),
    })),
    stale: plan.remove.map(({ name, target }) => ({ name, path: join(accountDir, name), target })),
    conflicts: plan.conflicts,
    foreign: plan.foreign,
    healthy: false,
  };
  check.healthy =
    check.account === "present" &&
    baseMissing.length === 0 &&
    check.missing.length === 0 &&
    check.wrong.length === 0 &&
    check.stale.length === 0 &&
    check.conflicts.length === 0;
  return check;
}

/**
 * Removes the symlinks the overlay made: every link in the account dir that points into the base.
 * Links are never followed and real files are never deleted.
 */
export function teardownOverlay(paths: OverlayPaths): { removed: string[]; kept: ForeignLink[] } {
  const baseDir = resolve(paths.baseDir);
  const accountDir = resolve(paths.accountDir);
  const entries = readAccountEntries(accountDir);
  const result: { removed: string[]; kept: ForeignLink[] } = { removed: [], kept: [] };
  if (entries === undefined) return result;
  for (const entry of [...entries.values()].sort(byName)) {
    const name = entry.name;
    if (!entry.isSymbolicLink()) continue;
    const path = join(accountDir, name);
    const target = readLink(path);
    if (target === undefined) continue;
    if (isInside(resolve(accountDir, target), baseDir)) {
      nodeFs().unlinkSync(path);
      result.removed.push(name);
    } else {
      result.kept.push({ name, path, target });
    }
  }
  return result;
}

function readBaseState(baseDir: string): BaseState {
  try {
    const facts = statPath(baseDir);
    if (facts === undefined) return "missing";
    return isDirectory(facts) ? "present" : "not-a-directory";
  } catch {
    return "missing";
  }
}
