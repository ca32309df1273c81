// Which top-level entries of a config dir are shared (a link into `~/.claude`) and which each
// account keeps for itself. The reference is the real Claude Code CLI pinned in package.json:
// tests/e2e/census.test.ts re-takes the census of a fresh config dir and fails on a name this
// file does not classify.

/**
 * Dirs that stay per-account. `daemon/` and `jobs/` hold background sessions, which belong to the
 * account that started them; `backups/` holds copies of the account's own `.claude.json`.
 *
 * `ide/`: the IDE extensions write their lock files into the config dir of the IDE's own
 * environment (normally `~/.claude/ide`), and Claude Code 2.1.332, whenever `CLAUDE_CONFIG_DIR` is
 * set, reads lock files from both `$CLAUDE_CONFIG_DIR/ide` and `~/.claude/ide`. A pooled session
 * therefore finds the IDE without a link, and a private `ide/` keeps an account-local IDE setup
 * (an IDE started with `CLAUDE_CONFIG_DIR` pointing at the account) out of the base.
 */
export const PRIVATE_DIRS: readonly string[] = ["daemon", "jobs", "backups", "ide"];

/** Files that stay per-account: identity, credentials, per-subscription and per-install state. */
export const PRIVATE_FILES: readonly string[] = [
  ".claude.json",
  // Legacy global config: the CLI prefers it over `.claude.json`, so a linked base copy would
  // make every account read (and rewrite) the base's identity.
  ".config.json",
  ".credentials.json",
  ".last-update-result.json",
  "remote-settings.json",
  "mcp-needs-auth-cache.json",
  "stats-cache.json",
  "policy-limits.json",
  "daemon.lock",
  "daemon.log",
  "daemon.status.json",
  "daemon.json",
  "daemon.scheduled.status.json",
  ".storage-write.lock",
  // cc-pool's own record of the last `.claude.json` merge (see claude-json.ts).
  ".cc-pool-merge.json",
  // cc-pool's record of launch-time checks that found nothing to do (see launch-record.ts).
  ".cc-pool-launch.json",
];

/**
 * Shared dirs a session creates at once in a fresh config dir (or on first use). cc-pool creates
 * each one in `~/.claude` when it is missing, before the first launch, so every account links to
 * one real folder instead of growing its own copy and splitting history for good.
 */
export const SHARED_BASE_DIRS: readonly string[] = [
  "projects",
  "sessions",
  "session-env",
  "shell-snapshots",
  "plans",
  "todos",
  "file-history",
  "plugins",
];

/**
 * Shared files a session creates. cc-pool never creates files in `~/.claude`; a real one an account
 * made while the base had none is moved into the base (never over an existing file) and linked.
 */
export const SHARED_BASE_FILES: readonly string[] = ["history.jsonl"];

const PRIVATE_NAMES = new Set<string>([...PRIVATE_DIRS, ...PRIVATE_FILES]);

/** macOS Finder litter: meaningless in another dir, so it is never linked. */
export function isNeverProjected(name: string): boolean {
  return name === ".DS_Store" || name.startsWith("._");
}

/**
 * True for entries an account keeps for itself. Besides the named entries this covers lock files
 * and dirs (`*.lock`, e.g. `.claude.json.lock`, `.oauth_refresh.lock`, and their `*.lock.owner`
 * files), temp files of atomic writes (`*.tmp.*`, `*.tmp`) and `.claude.json` backups such as
 * `.claude.json.backup`.
 */
export function isPrivateEntry(name: string): boolean {
  if (PRIVATE_NAMES.has(name)) return true;
  if (name.endsWith(".lock") || name.endsWith(".lock.owner")) return true;
  if (name.endsWith(".tmp") || name.includes(".tmp.")) return true;
  return name.startsWith(".claude.json.");
}

/** An entry of `~/.claude` that every account dir shows as a symlink. */
export function isProjected(name: string): boolean {
  return !isNeverProjected(name) && !isPrivateEntry(name);
}

export type EntryClass = "private" | "shared" | "never" | "unclassified";

/**
 * How a top-level entry found in an account dir is handled: private, shared through a link (one of
 * the entries cc-pool knows sessions create), never projected, or unclassified (a name the pinned
 * CLI did not create: shared through a link if it exists in the base, else left in the account).
 */
export function classifyEntry(name: string): EntryClass {
  if (isNeverProjected(name)) return "never";
  if (isPrivateEntry(name)) return "private";
  if (SHARED_BASE_DIRS.includes(name) || SHARED_BASE_FILES.includes(name)) return "shared";
  return "unclassified";
}
