/** Dirs that stay per-account: Claude keys their contents by PID or instance, so sharing collides. */
export const PRIVATE_DIRS: readonly string[] = ["daemon", "ide", "backups"];

/** Files that stay per-account: identity, credentials and per-subscription or per-install state. */
export const PRIVATE_FILES: readonly string[] = [
  ".claude.json",
  ".credentials.json",
  ".last-update-result.json",
  "remote-settings.json",
  "mcp-needs-auth-cache.json",
  "stats-cache.json",
  "policy-limits.json",
];

const PRIVATE_NAMES = new Set<string>([...PRIVATE_DIRS, ...PRIVATE_FILES]);

/** macOS Finder litter: meaningless in another dir, so it is never linked. */
export function isNeverProjected(name: string): boolean {
  return name === ".DS_Store" || name.startsWith("._");
}

/**
 * True for entries an account keeps for itself. Besides the named entries this covers lock files
 * and dirs (`*.lock`, e.g. `.claude.json.lock`, `.oauth_refresh.lock`), temp files of atomic
 * writes (`*.tmp.*`, `*.tmp`) and `.claude.json` backups such as `.claude.json.backup`.
 */
export function isPrivateEntry(name: string): boolean {
  if (PRIVATE_NAMES.has(name)) return true;
  if (name.endsWith(".lock") || name.endsWith(".tmp") || name.includes(".tmp.")) return true;
  return name.startsWith(".claude.json.");
}

/** An entry of `~/.claude` that every account dir shows as a symlink. */
export function isProjected(name: string): boolean {
  return !isNeverProjected(name) && !isPrivateEntry(name);
}
