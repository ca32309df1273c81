import { assertConfigDir } from "./config-dir.ts";
import type { CredentialLocation } from "./types.ts";

// The prefix carries the trailing dash on purpose: no code path can produce the unsuffixed name,
// which belongs to plain `claude` on ~/.claude.
const SERVICE_PREFIX = "Claude Code-credentials-";
const FALLBACK_ACCOUNT = "claude-code-user";

/**
 * Claude Code's Keychain service for a config dir: the first 8 hex chars of SHA-256 over the
 * NFC-normalised string exactly as exported in CLAUDE_CONFIG_DIR (no realpath, no trimming, so
 * `/a/b` and `/a/b/` are different items). Throws on an empty dir.
 */
export function keychainServiceName(configDir: string): string {
  assertConfigDir(configDir);
  // Bun's hasher, not node:crypto (~3 ms to load in the compiled binary): the same SHA-256.
  const digest = new Bun.CryptoHasher("sha256").update(configDir.normalize("NFC"), "utf8").digest("hex");
  return SERVICE_PREFIX + digest.slice(0, 8);
}

/** True for names this module produces; false for the unsuffixed default item and anything else. */
export function isPooledKeychainService(service: string): boolean {
  return (
    service.length === SERVICE_PREFIX.length + 8 &&
    service.startsWith(SERVICE_PREFIX) &&
    /^[0-9a-f]{8}$/.test(service.slice(SERVICE_PREFIX.length))
  );
}

/** Claude Code's account attribute: the user name, or `claude-code-user` when it has unusual characters. */
export function keychainAccountName(user: string): string {
  return /^[A-Za-z0-9._-]+$/.test(user) ? user : FALLBACK_ACCOUNT;
}

/** Where the Keychain store keeps a config dir's credential. Pure: no IO. */
export function locateKeychainCredential(configDir: string, user: string): CredentialLocation {
  const keychainService = keychainServiceName(configDir);
  const keychainAccount = keychainAccountName(user);
  return {
    kind: "keychain",
    keychainService,
    keychainAccount,
    description: `Keychain "${keychainService}" (acct ${keychainAccount})`,
  };
}
