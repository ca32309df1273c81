import { mkdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CcpError } from "../errors.ts";
import { CLAUDE_JSON_MAX_BYTES, parseJsonBounded, readRegularFileBounded } from "../fs/safe-path.ts";
import { writeFileAtomic } from "./atomic-write.ts";

export type JsonObject = Record<string, unknown>;

export type JsonFileRead =
  | { state: "ok"; value: JsonObject }
  | { state: "missing" }
  | { state: "unparsable"; detail: string };

/** Claude Code keeps `.claude.json` private to its owner; cc-pool writes it the same way. */
export const CLAUDE_JSON_MODE = 0o600;

/** Top-level keys the seed leaves out: identity, and usage counters that belong to one account. */
export const SEED_STRIPPED_KEYS: readonly string[] = ["oauthAccount", "pluginUsage"];

/**
 * Top-level keys that never flow from `~/.claude.json` at launch: identity, install and startup
 * counters, per-account plugin usage counts, and `projects` (merged key by key instead).
 */
export const MERGE_EXCLUDED_KEYS: readonly string[] = [
  "oauthAccount",
  "userID",
  "anonymousId",
  "projects",
  "firstStartTime",
  "numStartups",
  "pluginUsage",
];

/** Keys of `projects[path]` that flow: folder trust and MCP approvals. */
export const PROJECT_SHARED_KEYS: readonly string[] = [
  "hasTrustDialogAccepted",
  "mcpServers",
  "enabledMcpjsonServers",
  "disabledMcpjsonServers",
];
const PROJECT_SHARED_PREFIX = "hasClaudeMdExternalIncludes";

/** Claude Code's lock dir for its read-modify-write of `.claude.json`; fresher than this means held. */
const CLAUDE_LOCK_STALE_MS = 10_000;

export function isProjectSharedKey(key: string): boolean {
  return PROJECT_SHARED_KEYS.includes(key) || key.startsWith(PROJECT_SHARED_PREFIX);
}

// A plain structural check instead of valibot keeps schema code off `ccp run`'s hot path; only
// "is it a JSON object" matters here, every value is carried over untouched.
function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a JSON file whose top level must be an object; a read error other than ENOENT is
 * "unparsable". A FIFO or device is never opened, and size and nesting are bounded.
 */
export function readJsonObject(path: string): JsonFileRead {
  let text: string;
  try {
    const bytes = readRegularFileBounded(path, CLAUDE_JSON_MAX_BYTES);
    if (bytes === undefined) return { state: "missing" };
    text = bytes.toString("utf8");
  } catch (cause) {
    return { state: "unparsable", detail: (cause as Error).message };
  }
  try {
    const value = parseJsonBounded(text, { source: path });
    if (!isJsonObject(value)) return { state: "unparsable", detail: "the top level is not a JSON object" };
    return { state: "ok", value };
  } catch (cause) {
    return { state: "unparsable", detail: (cause as { detail?: string }).detail ?? (cause as Error).message };
  }
}

export function hasIdentity(config: JsonObject): boolean {
  const account = config.oauthAccount;
  return (
    isJsonObject(account) && typeof account.accountUuid === "string" && account.accountUuid.trim() !== ""
  );
}

/** Claude Code writes its config with a 2-space indent; keeping it makes diffs by hand readable. */
function writeClaudeJson(path: string, value: JsonObject): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2), CLAUDE_JSON_MODE);
}

export type SeedResult =
  | { kind: "seeded"; path: string; base: "ok" | "missing" | "unparsable"; baseDetail?: string }
  | { kind: "kept"; path: string; reason: "has-identity" | "account-unparsable"; detail?: string };

/**
 * Seeds an account's `.claude.json` before its login: the base config without its identity and
 * plugin counters, marked onboarded so the login claude skips first-run screens. A file that
 * already has an identity, or that cannot be parsed, is never replaced.
 */
export function seedAccountClaudeJson(opts: { baseJsonPath: string; accountDir: string }): SeedResult {
  const path = join(opts.accountDir, ".claude.json");
  const existing = readJsonObject(path);
  if (existing.state === "ok" && hasIdentity(existing.value)) {
    return { kind: "kept", path, reason: "has-identity" };
  }
  if (existing.state === "unparsable") {
    return { kind: "kept", path, reason: "account-unparsable", detail: existing.detail };
  }

  const base = readJsonObject(opts.baseJsonPath);
  const seed: JsonObject = {};
  if (base.state === "ok") {
    for (const [key, value] of Object.entries(base.value)) {
      if (!SEED_STRIPPED_KEYS.includes(key)) seed[key] = value;
    }
  }
  seed.hasCompletedOnboarding = true;
  try {
    writeClaudeJson(path, seed);
  } catch (cause) {
    throw new CcpError("failure", `Cannot write ${path}: ${(cause as Error).message}.`, {
      hint: "Check that the account dir exists and is writable (`ccp doctor`).",
      cause,
    });
  }
  if (base.state === "unparsable") {
    return { kind: "seeded", path, base: "unparsable", baseDetail: base.detail };
  }
  return { kind: "seeded", path, base: base.state };
}

export type MergeSkipReason =
  | "base-missing"
  | "base-unparsable"
  | "account-missing"
  | "account-unparsable"
  | "account-locked";

export interface MergeResult {
  changed: boolean;
  /** Top-level keys whose value changed (`projects` when any project entry changed). */
  changedKeys: string[];
  skipped?: { reason: MergeSkipReason; path: string; detail?: string };
}

function mergeProjects(baseProjects: unknown, account: JsonObject): boolean {
  if (!isJsonObject(baseProjects)) return false;
  if (account.projects !== undefined && !isJsonObject(account.projects)) return false;
  const projects: JsonObject = isJsonObject(account.projects) ? { ...account.projects } : {};
  let changed = false;
  for (const [projectPath, baseEntry] of Object.entries(baseProjects)) {
    if (!isJsonObject(baseEntry)) continue;
    const current = projects[projectPath];
    if (current !== undefined && !isJsonObject(current)) continue;
    const entry: JsonObject = current === undefined ? {} : { ...current };
    let entryChanged = false;
    for (const [key, value] of Object.entries(baseEntry)) {
      if (!isProjectSharedKey(key) || Bun.deepEquals(entry[key], value, true)) continue;
      entry[key] = value;
      entryChanged = true;
    }
    if (!entryChanged) continue;
    projects[projectPath] = entry;
    changed = true;
  }
  if (changed) account.projects = projects;
  return changed;
}

/** Merges under Claude Code's own lock dir when it is free, so a live session's write is not lost. */
function takeClaudeLock(lockDir: string): "taken" | "held" | "free" {
  try {
    mkdirSync(lockDir);
    return "taken";
  } catch (cause) {
    // Any other failure (no account dir) surfaces when the account file is read.
    if ((cause as NodeJS.ErrnoException).code !== "EEXIST") return "free";
    try {
      // A crashed claude leaves its lock behind; past the stale age nobody holds it, so merge.
      return Date.now() - statSync(lockDir).mtimeMs < CLAUDE_LOCK_STALE_MS ? "held" : "free";
    } catch {
      return "free";
    }
  }
}

/**
 * Launch-time merge of `~/.claude.json` into an account's `.claude.json`: shareable top-level keys
 * and per-project trust/MCP keys flow in (base wins); everything else of the account, its identity
 * first, is kept. Keys removed from the base stay in the account. Writes only when a value changed.
 */
export function mergeShareableKeys(opts: { baseJsonPath: string; accountJsonPath: string }): MergeResult {
  const { baseJsonPath, accountJsonPath } = opts;
  const base = readJsonObject(baseJsonPath);
  if (base.state === "missing") {
    return { changed: false, changedKeys: [], skipped: { reason: "base-missing", path: baseJsonPath } };
  }
  if (base.state === "unparsable") {
    return {
      changed: false,
      changedKeys: [],
      skipped: { reason: "base-unparsable", path: baseJsonPath, detail: base.detail },
    };
  }

  const lockDir = `${accountJsonPath}.lock`;
  const lock = takeClaudeLock(lockDir);
  if (lock === "held") {
    return {
      changed: false,
      changedKeys: [],
      skipped: {
        reason: "account-locked",
        path: accountJsonPath,
        detail: `${lockDir} is held by a running claude`,
      },
    };
  }
  try {
    const account = readJsonObject(accountJsonPath);
    if (account.state === "missing") {
      return {
        changed: false,
        changedKeys: [],
        skipped: { reason: "account-missing", path: accountJsonPath },
      };
    }
    if (account.state === "unparsable") {
      return {
        changed: false,
        changedKeys: [],
        skipped: { reason: "account-unparsable", path: accountJsonPath, detail: account.detail },
      };
    }
    const merged: JsonObject = { ...account.value };
    const changedKeys: string[] = [];
    for (const [key, value] of Object.entries(base.value)) {
      if (MERGE_EXCLUDED_KEYS.includes(key) || Bun.deepEquals(merged[key], value, true)) continue;
      merged[key] = value;
      changedKeys.push(key);
    }
    if (mergeProjects(base.value.projects, merged)) changedKeys.push("projects");
    if (changedKeys.length === 0) return { changed: false, changedKeys };
    try {
      writeClaudeJson(accountJsonPath, merged);
    } catch (cause) {
      throw new CcpError("failure", `Cannot write ${accountJsonPath}: ${(cause as Error).message}.`, {
        hint: "Check that the account dir is writable (`ccp doctor`).",
        cause,
      });
    }
    return { changed: true, changedKeys };
  } finally {
    if (lock === "taken") rmdirSync(lockDir);
  }
}
