/**
 * Claude Code's credential blob, as it stores it. Open-ended: unknown fields are preserved on
 * write. `refreshToken` absent (access-only blob) is different from present-but-empty (dead chain).
 */
export interface OAuthCredential {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
  scopes?: string[];
  /** null is accepted as Claude Code may store it; written back unchanged. */
  subscriptionType?: string | null;
  rateLimitTier?: string | null;
  [key: string]: unknown;
}

export interface CredentialBlob {
  claudeAiOauth?: OAuthCredential;
  [key: string]: unknown;
}

/** Where a credential lives, for `ccp list` and messages. Never contains a secret. */
export interface CredentialLocation {
  kind: "keychain" | "file";
  /** Keychain service name (`Claude Code-credentials-xxxxxxxx`), keychain only. */
  keychainService?: string;
  /** Keychain account attribute, keychain only. */
  keychainAccount?: string;
  /** `<configDir>/.credentials.json`, file only. */
  path?: string;
  /** Human-readable, e.g. `Keychain "Claude Code-credentials-03abf0ee" (acct alice)`. */
  description: string;
}

/**
 * A write made ready before a refresh token is spent: everything that can fail (a temp file with
 * its space reserved and fsynced, the Keychain reachable) has already been done, so `commit` is
 * as close to failure-proof as the platform allows.
 */
export interface PreparedWrite {
  /**
   * Makes the blob durable next to the credential without replacing it yet (file: fill the
   * reserved temp file and fsync it; a crash from here on leaves a complete copy that the next
   * access recovers). The Keychain keeps it in memory.
   */
  stage(blob: CredentialBlob): Promise<void>;
  /** Makes the staged blob the stored credential (file: rename, fsync the dir). */
  commit(): Promise<void>;
  /** Drops the reservation (and a staged copy); nothing is left behind. Idempotent. */
  discard(): Promise<void>;
}

/** A copy left by an interrupted write (file store: a temp file next to `.credentials.json`). */
export interface CredentialLeftover {
  path: string;
  /** The writer's pid when the name carries one. */
  pid: number | null;
  mtimeMs: number;
  /** The blob when the copy is complete and valid; undefined for a partial or empty one. */
  blob: CredentialBlob | undefined;
}

/**
 * One store per platform. `configDir` is the exact string exported as CLAUDE_CONFIG_DIR.
 * read() returns undefined only when the credential truly does not exist; a locked, denied or
 * corrupt credential throws a CcpError("credential", …) instead.
 */
export interface CredentialStore {
  readonly kind: "keychain" | "file";
  locate(configDir: string): CredentialLocation;
  exists(configDir: string): Promise<boolean>;
  read(configDir: string): Promise<CredentialBlob | undefined>;
  write(configDir: string, blob: CredentialBlob): Promise<void>;
  /** Idempotent: deleting a missing credential is not an error. */
  delete(configDir: string): Promise<void>;
  /** See PreparedWrite. Stores without it are written with `write` at commit time. */
  prepareWrite?(configDir: string, reserveBytes: number): Promise<PreparedWrite>;
  /** Copies left by interrupted writes; [] for stores that write in one step (the Keychain). */
  leftovers?(configDir: string): Promise<CredentialLeftover[]>;
  /** Makes a complete leftover the stored credential (atomically, for the file store a rename). */
  adoptLeftover?(configDir: string, leftover: CredentialLeftover): Promise<void>;
  /** Removes a leftover copy. */
  removeLeftover?(leftover: CredentialLeftover): Promise<void>;
}
