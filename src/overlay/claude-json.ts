import { join } from "../fs/posix-path.ts";
import { CcpError } from "../errors.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { nodeFs } from "../fs/probe.ts";
import {
  type JsonObject,
  isJsonObject,
  mergeStatePath,
  readAccountJsonObject,
  readJsonObject,
} from "./json-file.ts";

export {
  type JsonFileRead,
  type JsonObject,
  MERGE_STATE_FILE,
  mergeStatePath,
  readAccountJsonObject,
  readJsonObject,
} from "./json-file.ts";

/** Claude Code keeps `.claude.json` private to its owner; cc-pool writes it the same way. */
export const CLAUDE_JSON_MODE = 0o600;

/**
 * Top-level keys that never flow between `~/.claude.json` and an account, in either direction:
 * identity, per-machine ids, secrets (a Console key, the answers about custom keys, a key helper
 * that would take every session off its subscription), per-account caches and counters, install
 * and migration state, and `projects` (merged key by key instead). Keys starting with `cached` or
 * ending in `Cache`, `Count` or `MigrationComplete` are treated the same way.
 */
export const NEVER_FLOW_KEYS: readonly string[] = [
  "oauthAccount",
  "userID",
  "anonymousId",
  "machineID",
  "primaryApiKey",
  "customApiKeyResponses",
  "apiKeyHelper",
  "cachedUsageUtilization",
  "projects",
  "firstStartTime",
  "firstStartVersion",
  "numStartups",
  "migrationVersion",
  "pluginUsage",
  "tipsHistory",
  "hasAvailableSubscription",
  "hasAvailableMaxSubscription",
  "recommendedSubscription",
  "claudeCodeFirstTokenDate",
  "isQualifiedForDataSharing",
  "fallbackAvailableWarningThreshold",
  "hasResetAutoModeOptInForDefaultOffer",
  "seenNotifications",
];

export function isNeverFlowKey(key: string): boolean {
  return (
    NEVER_FLOW_KEYS.includes(key) ||
    key.startsWith("cached") ||
    key.endsWith("Cache") ||
    key.endsWith("Count") ||
    key.endsWith("MigrationComplete")
  );
}

/**
 * The keys an account's change is written back into `~/.claude.json`: the user settings
 * `claude config set -g` accepts in Claude Code 2.1.332 (its own list, minus counters and the key
 * helper) and the user-scope MCP servers. Narrower than what flows in: a key the CLI sets by
 * itself (a migration marker, a notice it showed) must not land in the base, where plain claude
 * would then skip that step.
 */
export const WRITE_BACK_KEYS: readonly string[] = [
  "mcpServers",
  "installMethod",
  "autoUpdates",
  "theme",
  "verbose",
  "preferredNotifChannel",
  "shiftEnterKeyBindingInstalled",
  "editorMode",
  "hasUsedBackslashReturn",
  "autoCompactEnabled",
  "autoScrollEnabled",
  "showTurnDuration",
  "externalEditorContext",
  "showMessageTimestamps",
  "diffTool",
  "env",
  "todoFeatureEnabled",
  "showExpandedTodos",
  "briefTranscript",
  "diffSidebarOpen",
  "messageIdleNotifThresholdMs",
  "autoConnectIde",
  "autoInstallIdeExtension",
  "fileCheckpointingEnabled",
  "terminalProgressBarEnabled",
  "showStatusInTerminalTab",
  "taskCompleteNotifEnabled",
  "inputNeededNotifEnabled",
  "agentPushNotifEnabled",
  "respectGitignore",
  "claudeInChromeDefaultEnabled",
  "hasCompletedClaudeInChromeOnboarding",
  "lspRecommendationDisabled",
  "lspRecommendationNeverPlugins",
  "copyFullResponse",
  "copyOnSelect",
  "leftArrowOpensAgents",
  "defaultToAgentsView",
  "prStatusFooterEnabled",
  "remoteControlAtStartup",
  "autoUploadSessions",
  "autoAddRemoteControlDaemonWorker",
  "remoteDialogSeen",
  "workflowSizeGuideline",
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
 * Seeds an account's `.claude.json` before its login: the base config without its identity, ids,
 * secrets, caches and counters (only trust and MCP keys of its projects), marked onboarded so the login claude skips first-run screens. A file that
 * already has an identity, or that cannot be parsed, is never replaced.
 */
export function seedAccountClaudeJson(opts: { baseJsonPath: string; accountDir: string }): SeedResult {
  const path = join(opts.accountDir, ".claude.json");
  const existing = readAccountJsonObject(path);
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
      if (!isNeverFlowKey(key)) seed[key] = value;
    }
    const projects = sharedProjects(base.value.projects);
    if (projects !== undefined) seed.projects = projects;
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

export interface FlowConflict {
  key: string;
  /** The side whose change was newer (by file modification time) and won. */
  winner: "base" | "account";
}

/** One merge that moved something, as `ccp doctor` shows it. */
export interface FlowEvent {
  atMs: number;
  /** Keys written back into `~/.claude.json` (`projects["/path"].key` for project keys). */
  toBase: string[];
  /** Keys written into the account's `.claude.json`. */
  toAccount: string[];
  conflicts: FlowConflict[];
}

export interface MergeResult {
  /** The account's `.claude.json` was rewritten. */
  changed: boolean;
  /** Top-level keys whose value changed in the account (`projects` when any project entry changed). */
  changedKeys: string[];
  /** Keys written back into `~/.claude.json`. */
  toBase: string[];
  conflicts: FlowConflict[];
  /** The write-back was postponed (the account's changes stay pending for the next merge). */
  baseSkipped?: { reason: "base-locked"; path: string; detail: string };
  skipped?: { reason: MergeSkipReason; path: string; detail?: string };
}

/** What the last merge left on both sides, one hash per key, so a later change can be told apart. */
interface MergeState {
  version: 1;
  base: Record<string, string>;
  account: Record<string, string>;
  history: FlowEvent[];
}

/** The merge record beside the account's `.claude.json` (private to the account dir). */
const HISTORY_KEPT = 20;
const BASE_LOCK_WAIT_MS = 1500;
const UNDEFINED_HASH = "-";

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

// Bun's own hasher, not node:crypto: loading node:crypto costs ~3 ms in the compiled binary, on
// `ccp run`'s path before claude starts. Both compute the same SHA-256, so stored records still match.
function valueHash(value: unknown): string {
  if (value === undefined) return UNDEFINED_HASH;
  return new Bun.CryptoHasher("sha256").update(stableJson(value)).digest("hex").slice(0, 24);
}

function isHashMap(value: unknown): value is Record<string, string> {
  return isJsonObject(value) && Object.values(value).every((v) => typeof v === "string");
}

function readMergeState(path: string): MergeState | undefined {
  const read = readJsonObject(path);
  if (read.state !== "ok") return undefined;
  const { base, account, history } = read.value;
  if (read.value.version !== 1 || !isHashMap(base) || !isHashMap(account)) return undefined;
  return { version: 1, base, account, history: Array.isArray(history) ? (history as FlowEvent[]) : [] };
}

/** The flows the last merges of this account made, newest last (for `ccp doctor`). */
export function readFlowHistory(accountJsonPath: string): FlowEvent[] {
  return readMergeState(mergeStatePath(accountJsonPath))?.history ?? [];
}

/** The base's project entries reduced to the keys that flow; undefined when there are none. */
function sharedProjects(projects: unknown): JsonObject | undefined {
  if (!isJsonObject(projects)) return undefined;
  const out: JsonObject = {};
  for (const [path, entry] of Object.entries(projects)) {
    if (!isJsonObject(entry)) continue;
    const shared = Object.fromEntries(Object.entries(entry).filter(([key]) => isProjectSharedKey(key)));
    if (Object.keys(shared).length > 0) out[path] = shared;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One mergeable value: a top-level key, or a shared key of one project entry. */
interface Slot {
  id: string;
  label: string;
  writeBack: boolean;
  get(config: JsonObject): unknown;
  set(config: JsonObject, value: unknown): boolean;
}

function topSlot(key: string): Slot {
  return {
    id: key,
    label: key,
    writeBack: WRITE_BACK_KEYS.includes(key),
    get: (config) => config[key],
    set: (config, value) => {
      config[key] = value;
      return true;
    },
  };
}

function projectSlot(path: string, key: string): Slot {
  return {
    id: `projects\u0000${path}\u0000${key}`,
    label: `projects[${JSON.stringify(path)}].${key}`,
    // Trust and MCP approvals flow both ways.
    writeBack: true,
    get: (config) => {
      const projects = config.projects;
      if (!isJsonObject(projects)) return undefined;
      const entry = projects[path];
      return isJsonObject(entry) ? entry[key] : undefined;
    },
    set: (config, value) => {
      if (config.projects !== undefined && !isJsonObject(config.projects)) return false;
      const projects: JsonObject = { ...((config.projects as JsonObject | undefined) ?? {}) };
      const current = projects[path];
      if (current !== undefined && !isJsonObject(current)) return false;
      projects[path] = { ...((current as JsonObject | undefined) ?? {}), [key]: value };
      config.projects = projects;
      return true;
    },
  };
}

function projectKeys(config: JsonObject): Array<[string, string]> {
  const projects = config.projects;
  if (!isJsonObject(projects)) return [];
  const out: Array<[string, string]> = [];
  for (const [path, entry] of Object.entries(projects)) {
    if (!isJsonObject(entry)) continue;
    for (const key of Object.keys(entry)) if (isProjectSharedKey(key)) out.push([path, key]);
  }
  return out;
}

function slotsFor(base: JsonObject, account: JsonObject, state: MergeState | undefined): Slot[] {
  const top = new Set<string>();
  const projects = new Map<string, [string, string]>();
  for (const config of [base, account]) {
    for (const key of Object.keys(config)) if (!isNeverFlowKey(key)) top.add(key);
    for (const [path, key] of projectKeys(config)) projects.set(`${path}\u0000${key}`, [path, key]);
  }
  for (const id of Object.keys(state?.account ?? {})) {
    const parts = id.split("\u0000");
    if (parts.length === 3 && parts[0] === "projects") {
      projects.set(`${parts[1]}\u0000${parts[2]}`, [parts[1] as string, parts[2] as string]);
    } else if (parts.length === 1 && !isNeverFlowKey(id)) {
      top.add(id);
    }
  }
  return [
    ...[...top].sort().map(topSlot),
    ...[...projects.values()].sort().map(([path, key]) => projectSlot(path, key)),
  ];
}

type LockState = "taken" | "held" | "free";

/** Merges under Claude Code's own lock dir when it is free, so a live session's write is not lost. */
function takeClaudeLock(lockDir: string): LockState {
  try {
    nodeFs().mkdirSync(lockDir);
    return "taken";
  } catch (cause) {
    // Any other failure (no account dir) surfaces when the file is read.
    if ((cause as NodeJS.ErrnoException).code !== "EEXIST") return "free";
    try {
      // A crashed claude leaves its lock behind; past the stale age nobody holds it, so merge.
      return Date.now() - nodeFs().statSync(lockDir).mtimeMs < CLAUDE_LOCK_STALE_MS ? "held" : "free";
    } catch {
      return "free";
    }
  }
}

/** Claude Code's lock dir; fresher than this means a live holder (it refreshes its mtime). */
function takeLockWaiting(lockDir: string, waitMs: number): LockState {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const state = takeClaudeLock(lockDir);
    if (state !== "held" || Date.now() >= deadline) return state;
    Bun.sleepSync(25);
  }
}

function mtimeMs(path: string): number {
  try {
    return nodeFs().statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

interface MergePlan {
  toAccount: Slot[];
  toBase: Slot[];
  /** Write-backs that wait for the base's lock (their record stays as it was, so they stay pending). */
  postponed: Set<string>;
  conflicts: FlowConflict[];
}

/** Which side wins each slot that differs (see mergeShareableKeys). */
function planMerge(
  base: JsonObject,
  account: JsonObject,
  state: MergeState | undefined,
  baseNewer: boolean,
  canWriteBase: boolean,
): MergePlan {
  const plan: MergePlan = { toAccount: [], toBase: [], postponed: new Set(), conflicts: [] };
  for (const slot of slotsFor(base, account, state)) {
    const baseValue = slot.get(base);
    const accountValue = slot.get(account);
    const baseHash = valueHash(baseValue);
    const accountHash = valueHash(accountValue);
    if (baseHash === accountHash) continue;
    if (state === undefined) {
      if (baseValue !== undefined) plan.toAccount.push(slot);
      continue;
    }
    const baseChanged = baseHash !== (state.base[slot.id] ?? UNDEFINED_HASH);
    const accountChanged = accountHash !== (state.account[slot.id] ?? UNDEFINED_HASH);
    let winner: "base" | "account" | undefined;
    if (baseChanged && !accountChanged) winner = "base";
    else if (accountChanged && !baseChanged) winner = "account";
    else if (baseChanged && accountChanged) {
      winner =
        accountValue === undefined
          ? "base"
          : baseValue === undefined
            ? "account"
            : baseNewer
              ? "base"
              : "account";
      if (accountValue !== undefined && baseValue !== undefined)
        plan.conflicts.push({ key: slot.label, winner });
    }
    // Deletions never propagate.
    if (winner === "base" && baseValue !== undefined) plan.toAccount.push(slot);
    if (winner === "account" && accountValue !== undefined && slot.writeBack) {
      if (canWriteBase) plan.toBase.push(slot);
      else plan.postponed.add(slot.id);
    }
  }
  return plan;
}

/** What each side holds now; a postponed write-back keeps its old record so it stays pending. */
function nextMergeState(
  nextBase: JsonObject,
  nextAccount: JsonObject,
  state: MergeState | undefined,
  postponed: Set<string>,
): MergeState {
  const nextState: MergeState = { version: 1, base: {}, account: {}, history: state?.history ?? [] };
  for (const slot of slotsFor(nextBase, nextAccount, state)) {
    if (postponed.has(slot.id) && state !== undefined) {
      const oldBase = state.base[slot.id];
      const oldAccount = state.account[slot.id];
      if (oldBase !== undefined) nextState.base[slot.id] = oldBase;
      if (oldAccount !== undefined) nextState.account[slot.id] = oldAccount;
      continue;
    }
    const b = valueHash(slot.get(nextBase));
    const a = valueHash(slot.get(nextAccount));
    if (b !== UNDEFINED_HASH) nextState.base[slot.id] = b;
    if (a !== UNDEFINED_HASH) nextState.account[slot.id] = a;
  }
  return nextState;
}

/**
 * True when the merge, read without taking either lock, would write nothing and report nothing:
 * the usual launch, where claude changed only its own counters. The locks exist to keep a write
 * from losing a live session's, so a merge that writes nothing needs neither; anything else (a
 * value to move, a conflict, a record to update, a lock dir present, a file missing or unparsable)
 * runs the merge under the locks exactly as before, reading everything again.
 */
function wouldBeIdle(opts: MergeOptions): boolean {
  const { baseJsonPath, accountJsonPath } = opts;
  if (nodeFs().lstatSync(`${accountJsonPath}.lock`, { throwIfNoEntry: false }) !== undefined) return false;
  const account = readAccountJsonObject(accountJsonPath);
  if (account.state !== "ok") return false;
  const state = readMergeState(mergeStatePath(accountJsonPath));
  if (state === undefined) return false;
  const base = readJsonObject(baseJsonPath);
  if (base.state !== "ok") return false;
  // baseNewer only decides conflicts, and any conflict is reported, so it cannot make a merge idle.
  const plan = planMerge(base.value, account.value, state, false, true);
  if (plan.toAccount.length > 0 || plan.toBase.length > 0 || plan.conflicts.length > 0) return false;
  return stableJson(nextMergeState(base.value, account.value, state, plan.postponed)) === stableJson(state);
}

/** Writes `~/.claude.json` where it really is (a dotfiles symlink stays a symlink), mode kept. */
function writeBaseClaudeJson(path: string, value: JsonObject): void {
  const real = nodeFs().realpathSync(path);
  const mode = nodeFs().statSync(real).mode & 0o777;
  writeFileAtomic(real, JSON.stringify(value, null, 2), mode);
}

export interface MergeOptions {
  baseJsonPath: string;
  accountJsonPath: string;
  nowMs?: number;
  /** How long to wait for Claude Code's lock on `~/.claude.json` before postponing the write-back. */
  baseLockWaitMs?: number;
}

/**
 * Two-way merge of `~/.claude.json` and an account's `.claude.json`, at launch and at check-in.
 * Only shareable keys move (never identity, ids, secrets, caches or counters; inside projects only
 * trust and MCP keys). A key changed on one side since the last merge flows to the other; a key
 * changed on both sides goes to the side whose file changed last. Only user settings, user-scope
 * MCP servers and project trust/MCP keys are written back into `~/.claude.json`, under Claude
 * Code's own `.claude.json.lock`, re-read inside it, atomically, with its mode kept. Deletions
 * never propagate; an unparsable file is never replaced; files are written only when a value
 * changed. The first merge of an account (no record yet) lets the base win and writes nothing back.
 */
export function mergeShareableKeys(opts: MergeOptions): MergeResult {
  const { baseJsonPath, accountJsonPath } = opts;
  const result: MergeResult = { changed: false, changedKeys: [], toBase: [], conflicts: [] };
  if (wouldBeIdle(opts)) return result;
  const skip = (reason: MergeSkipReason, path: string, detail?: string): MergeResult => ({
    ...result,
    skipped: detail === undefined ? { reason, path } : { reason, path, detail },
  });
  const accountLockDir = `${accountJsonPath}.lock`;
  const accountLock = takeClaudeLock(accountLockDir);
  if (accountLock === "held") {
    return skip("account-locked", accountJsonPath, `${accountLockDir} is held by a running claude`);
  }
  const baseLockDir = `${baseJsonPath}.lock`;
  let baseLock: LockState | undefined;
  try {
    const account = readAccountJsonObject(accountJsonPath);
    if (account.state === "missing") return skip("account-missing", accountJsonPath);
    if (account.state === "unparsable") return skip("account-unparsable", accountJsonPath, account.detail);
    const statePath = mergeStatePath(accountJsonPath);
    const state = readMergeState(statePath);
    // Read the base inside its lock, so a write-back starts from what is there right now.
    if (state !== undefined)
      baseLock = takeLockWaiting(baseLockDir, opts.baseLockWaitMs ?? BASE_LOCK_WAIT_MS);
    const base = readJsonObject(baseJsonPath);
    if (base.state === "missing") return skip("base-missing", baseJsonPath);
    if (base.state === "unparsable") return skip("base-unparsable", baseJsonPath, base.detail);
    const baseNewer = mtimeMs(baseJsonPath) > mtimeMs(accountJsonPath);

    const nextAccount: JsonObject = { ...account.value };
    const nextBase: JsonObject = { ...base.value };
    const canWriteBase = baseLock === "taken" || baseLock === "free";
    const { toAccount, toBase, postponed, conflicts } = planMerge(
      base.value,
      account.value,
      state,
      baseNewer,
      canWriteBase,
    );
    result.conflicts.push(...conflicts);

    const movedToAccount = toAccount.filter((slot) => slot.set(nextAccount, slot.get(base.value)));
    const movedToBase = toBase.filter((slot) => slot.set(nextBase, slot.get(account.value)));
    if (movedToBase.length > 0) {
      try {
        writeBaseClaudeJson(baseJsonPath, nextBase);
      } catch (cause) {
        throw new CcpError("failure", `Cannot write ${baseJsonPath}: ${(cause as Error).message}.`, {
          hint: "Check that ~/.claude.json is writable; the account's settings flow back at the next launch.",
          cause,
        });
      }
      result.toBase = movedToBase.map((slot) => slot.label);
    }
    if (movedToAccount.length > 0) {
      try {
        writeClaudeJson(accountJsonPath, nextAccount);
      } catch (cause) {
        throw new CcpError("failure", `Cannot write ${accountJsonPath}: ${(cause as Error).message}.`, {
          hint: "Check that the account dir is writable (`ccp doctor`).",
          cause,
        });
      }
      result.changed = true;
      result.changedKeys = [
        ...new Set(
          movedToAccount.map((slot) => (slot.id.startsWith("projects\u0000") ? "projects" : slot.id)),
        ),
      ];
    }
    if (postponed.size > 0) {
      result.baseSkipped = {
        reason: "base-locked",
        path: baseJsonPath,
        detail: `${baseLockDir} is held by a running claude`,
      };
    }

    const nextState = nextMergeState(nextBase, nextAccount, state, postponed);
    if (result.toBase.length > 0 || result.changedKeys.length > 0) {
      nextState.history = [
        ...nextState.history,
        {
          atMs: opts.nowMs ?? Date.now(),
          toBase: result.toBase,
          toAccount: movedToAccount.map((slot) => slot.label),
          conflicts: result.conflicts,
        },
      ].slice(-HISTORY_KEPT);
    }
    if (state === undefined || stableJson(nextState) !== stableJson(state)) {
      writeFileAtomic(statePath, JSON.stringify(nextState, null, 2), CLAUDE_JSON_MODE);
    }
    return result;
  } finally {
    if (baseLock === "taken") nodeFs().rmdirSync(baseLockDir);
    if (accountLock === "taken") nodeFs().rmdirSync(accountLockDir);
  }
}
