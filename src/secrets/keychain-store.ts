import { CcpError, isCcpError } from "../errors.ts";
import { parseBlob, serializeBlob } from "./blob.ts";
import type { KeychainFramework } from "./keychain-framework.ts";
import { keychainAccountName, keychainServiceName, locateKeychainCredential } from "./keychain-naming.ts";
import {
  ERR_SEC_AUTH_FAILED,
  ERR_SEC_INTERACTION_NOT_ALLOWED,
  ERR_SEC_ITEM_NOT_FOUND,
  ERR_SEC_SUCCESS,
  ERR_SEC_USER_CANCELED,
  keychainLockedError,
  keychainStatusError,
} from "./keychain-status.ts";
import {
  TOOL_EXIT_AUTH_FAILED,
  TOOL_EXIT_INTERACTION_NOT_ALLOWED,
  TOOL_EXIT_ITEM_NOT_FOUND,
  TOOL_EXIT_USER_CANCELED,
  type SecurityToolResult,
  redactToolOutput,
  runSecurityTool,
} from "./security-tool.ts";
import type { CredentialBlob, CredentialLocation, CredentialStore, PreparedWrite } from "./types.ts";

export const DEFAULT_SECURITY_LIB = "/System/Library/Frameworks/Security.framework/Security";
export const DEFAULT_COREFOUNDATION_LIB =
  "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation";
export const DEFAULT_SECURITY_BIN = "/usr/bin/security";
export const DEFAULT_SECURITY_TOOL_TIMEOUT_MS = 20_000;

// `security -i` reads each command with a 4096-byte line buffer; a longer line would be split and
// its tail run as a second command. Keep a margin for the newline and the terminating NUL.
const SECURITY_TOOL_MAX_LINE = 4000;

export interface KeychainStoreOptions {
  /** Security.framework or a stand-in with the same symbols. */
  securityLib?: string;
  /** CoreFoundation or a stand-in with the same symbols. */
  coreFoundationLib?: string;
  /** The `security` tool; Claude Code's items trust /usr/bin/security. */
  securityBin?: string;
  /** User name for the account attribute (`$USER` or the OS user name). */
  user: string;
  /** Deadline for every `security` run. */
  toolTimeoutMs?: number;
}

/**
 * Text of a Keychain payload. `security -w` prints the data as lowercase hex whenever any byte of
 * it fails `isprint` (any macOS version): decoded when it is all hex and decodes to JSON.
 */
export function decodeKeychainPayload(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes);
  if (text.length === 0 || text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) return text;
  const decoded = Buffer.from(text, "hex").toString("utf8");
  try {
    JSON.parse(decoded);
    return decoded;
  } catch {
    return text;
  }
}

// Inside `security -i` a double-quoted argument ends at the next unescaped quote. Service names
// are ours ("Claude Code-credentials-<hex>") and account names are limited to [A-Za-z0-9._-] or
// the fixed fallback, so neither can contain a quote or backslash; checked anyway.
function quoteForInteractive(value: string): string {
  if (/["\\\n\r]/.test(value)) throw new Error("Unexpected character in a Keychain attribute");
  return `"${value}"`;
}

function toolError(result: SecurityToolResult, service: string, action: string): CcpError {
  switch (result.exitCode) {
    case TOOL_EXIT_ITEM_NOT_FOUND:
      return keychainStatusError(ERR_SEC_ITEM_NOT_FOUND, service, action);
    case TOOL_EXIT_INTERACTION_NOT_ALLOWED:
      return keychainStatusError(ERR_SEC_INTERACTION_NOT_ALLOWED, service, action);
    case TOOL_EXIT_AUTH_FAILED:
      return keychainStatusError(ERR_SEC_AUTH_FAILED, service, action);
    case TOOL_EXIT_USER_CANCELED:
      return keychainStatusError(ERR_SEC_USER_CANCELED, service, action);
    default: {
      const detail = redactToolOutput(result.stderr);
      return new CcpError(
        "credential",
        `Cannot ${action} Keychain item "${service}": security exited with status ${result.exitCode}${detail ? ` (${detail})` : ""}.`,
        {
          hint: "Run `ccp doctor` to check the account's Keychain item.",
        },
      );
    }
  }
}

/**
 * The macOS credential store. Claude Code's items trust /usr/bin/security, not cc-pool, so:
 * lookups read attributes only through Security.framework (never a prompt); data reads, writes
 * and deletes go through the tool, so no framework call can raise an access dialog and the item
 * stays readable by claude. A locked keychain hides its items from both (they look absent), so
 * every operation first asks the framework for the lock state: locked is an error, never "absent",
 * and the tool is never started against a locked keychain (it would pop an unlock dialog).
 */
export function createKeychainStore(options: KeychainStoreOptions): CredentialStore {
  const securityLib = options.securityLib ?? DEFAULT_SECURITY_LIB;
  const coreFoundationLib = options.coreFoundationLib ?? DEFAULT_COREFOUNDATION_LIB;
  const securityBin = options.securityBin ?? DEFAULT_SECURITY_BIN;
  const timeoutMs = options.toolTimeoutMs ?? DEFAULT_SECURITY_TOOL_TIMEOUT_MS;
  const defaultAccount = keychainAccountName(options.user);
  let framework: Promise<KeychainFramework> | undefined;

  // Imported on first use only, so a Linux process never opens bun:ffi.
  function loadFramework(): Promise<KeychainFramework> {
    framework ??= import("./keychain-framework.ts").then(({ openKeychainFramework }) => {
      try {
        return openKeychainFramework(coreFoundationLib, securityLib);
      } catch (error) {
        throw new CcpError(
          "credential",
          `Cannot load the Keychain libraries (${securityLib}, ${coreFoundationLib}).`,
          {
            hint: "Unset CCP_SECURITY_LIB and CCP_COREFOUNDATION_LIB to use the system frameworks.",
            cause: error,
          },
        );
      }
    });
    return framework;
  }

  async function query<T>(service: string, action: string, run: (fw: KeychainFramework) => T): Promise<T> {
    const fw = await loadFramework();
    try {
      return run(fw);
    } catch (error) {
      if (isCcpError(error)) throw error;
      throw new CcpError(
        "credential",
        `Cannot ${action} Keychain item "${service}": unexpected answer from Security.framework.`,
        {
          hint: "Run `ccp doctor`; if it persists, report it with your macOS version.",
          cause: error,
        },
      );
    }
  }

  /** Throws the "locked" error when the keychain is locked: its items would look absent. */
  async function ensureUnlocked(service: string, action: string): Promise<void> {
    const result = await query(service, action, (fw) => fw.isLocked());
    if (result.status !== ERR_SEC_SUCCESS) throw keychainStatusError(result.status, service, action);
    if (result.value) throw keychainLockedError(service, action);
  }

  /** The item's account attribute ("" for none), or undefined when no item exists for the service. */
  async function findAccount(service: string, action: string): Promise<string | undefined> {
    await ensureUnlocked(service, action);
    const result = await query(service, action, (fw) => fw.copyAccount(service));
    if (result.status === ERR_SEC_SUCCESS) return result.value;
    if (result.status === ERR_SEC_ITEM_NOT_FOUND) {
      // Locked in between: the item may well exist.
      await ensureUnlocked(service, action);
      return undefined;
    }
    throw keychainStatusError(result.status, service, action);
  }

  // An item without an `acct` attribute is named by service alone.
  function accountArgs(account: string): string[] {
    return account === "" ? [] : ["-a", account];
  }

  async function readWithTool(service: string, account: string): Promise<Uint8Array | undefined> {
    const result = await runSecurityTool({
      bin: securityBin,
      args: ["find-generic-password", "-s", service, ...accountArgs(account), "-w"],
      timeoutMs,
      service,
    });
    if (result.exitCode === 0) {
      // `-w` prints the data followed by one newline.
      const end = result.stdout.at(-1) === 0x0a ? result.stdout.length - 1 : result.stdout.length;
      return result.stdout.subarray(0, end);
    }
    if (result.exitCode === TOOL_EXIT_ITEM_NOT_FOUND) {
      // Exit 44 is also what a keychain locked since the lookup gives.
      await ensureUnlocked(service, "read");
      return undefined;
    }
    throw toolError(result, service, "read");
  }

  async function readItem(configDir: string): Promise<CredentialBlob | undefined> {
    const service = keychainServiceName(configDir);
    const account = await findAccount(service, "read");
    if (account === undefined) return undefined;
    const bytes = await readWithTool(service, account);
    // Deleted between the lookup and the read: truly absent now.
    if (bytes === undefined) return undefined;
    return parseBlob(decodeKeychainPayload(bytes), `Keychain item "${service}"`);
  }

  async function writeItem(configDir: string, blob: CredentialBlob): Promise<void> {
    const service = keychainServiceName(configDir);
    const data = serializeBlob(blob, `Keychain item "${service}"`);
    // Keep the existing item's account so an update never creates a second item for the dir; an
    // item without an `acct` attribute is updated by service alone (no `-a`: any account matches).
    const existing = await findAccount(service, "update");
    const account = existing ?? defaultAccount;
    const hex = Buffer.from(data, "utf8").toString("hex");
    const command = [
      "add-generic-password",
      "-U",
      "-s",
      quoteForInteractive(service),
      ...(account === "" ? [] : ["-a", quoteForInteractive(account)]),
    ];
    // The secret is passed on stdin to `security -i`, one command line, so it never appears in
    // argv where `ps` could see it; `-X` takes the data hex-encoded, which needs no quoting. Only
    // a blob too large for the tool's line buffer goes through argv, as Claude Code itself does:
    // failing instead would lose a freshly rotated token.
    const line = `${[...command, "-X", hex].join(" ")}\n`;
    const viaStdin = line.length <= SECURITY_TOOL_MAX_LINE;
    const result = await runSecurityTool({
      bin: securityBin,
      args: viaStdin
        ? ["-i"]
        : ["add-generic-password", "-U", "-s", service, ...accountArgs(account), "-X", hex],
      stdin: viaStdin ? line : undefined,
      timeoutMs,
      service,
    });
    if (result.exitCode !== 0) {
      await ensureUnlocked(service, "write");
      throw toolError(result, service, "write");
    }
  }

  async function deleteItem(configDir: string): Promise<void> {
    const service = keychainServiceName(configDir);
    // One item per config dir is the norm; a stray duplicate under another account goes too.
    for (let attempt = 0; attempt < 8; attempt++) {
      const account = await findAccount(service, "delete");
      if (account === undefined) return;
      const result = await runSecurityTool({
        bin: securityBin,
        args: ["delete-generic-password", "-s", service, ...accountArgs(account)],
        timeoutMs,
        service,
      });
      if (result.exitCode !== 0) await ensureUnlocked(service, "delete");
      if (result.exitCode !== 0 && result.exitCode !== TOOL_EXIT_ITEM_NOT_FOUND)
        throw toolError(result, service, "delete");
    }
    throw new CcpError("credential", `Keychain item "${service}" is still present after deleting it.`, {
      hint: "Remove it in Keychain Access, then run `ccp doctor`.",
    });
  }

  return {
    kind: "keychain",
    locate(configDir: string): CredentialLocation {
      return locateKeychainCredential(configDir, options.user);
    },
    async exists(configDir: string): Promise<boolean> {
      return (await findAccount(keychainServiceName(configDir), "look up")) !== undefined;
    },
    read: readItem,
    write: writeItem,
    delete: deleteItem,
    // Before a refresh token is spent: the Keychain must be unlocked and answer for this item
    // (findAccount checks the lock state); the write itself is one `security` call at commit.
    async prepareWrite(configDir: string): Promise<PreparedWrite> {
      await findAccount(keychainServiceName(configDir), "update");
      let staged: CredentialBlob | undefined;
      return {
        stage: async (blob) => {
          staged = blob;
        },
        commit: async () => {
          if (staged) await writeItem(configDir, staged);
        },
        discard: async () => {
          staged = undefined;
        },
      };
    },
  };
}
