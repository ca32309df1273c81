import { CcpError } from "../errors.ts";

export const ERR_SEC_SUCCESS = 0;
export const ERR_SEC_ITEM_NOT_FOUND = -25300;
export const ERR_SEC_DUPLICATE_ITEM = -25299;
export const ERR_SEC_INTERACTION_NOT_ALLOWED = -25308;
export const ERR_SEC_AUTH_FAILED = -25293;
export const ERR_SEC_USER_CANCELED = -128;
export const ERR_SEC_NO_ACCESS_FOR_ITEM = -25243;
export const ERR_SEC_MISSING_ENTITLEMENT = -34018;

/**
 * Statuses meaning "this process may not read the data without a prompt". Claude Code's items
 * trust /usr/bin/security rather than cc-pool, so these send a data read to the tool instead.
 */
export function isAccessRefusal(status: number): boolean {
  return (
    status === ERR_SEC_INTERACTION_NOT_ALLOWED ||
    status === ERR_SEC_AUTH_FAILED ||
    status === ERR_SEC_USER_CANCELED ||
    status === ERR_SEC_NO_ACCESS_FOR_ITEM ||
    status === ERR_SEC_MISSING_ENTITLEMENT
  );
}

/** What a poll records (sample error) when the keychain was locked: the account was skipped. */
export const KEYCHAIN_LOCKED = "keychain locked";

/**
 * The keychain is locked. Both the framework and the tool then report its items as missing, so this
 * is checked first and reported as itself: never "no stored login".
 */
export function keychainLockedError(service: string, action: string): CcpError {
  return new CcpError(
    "keychain-locked",
    `The login keychain is locked: cannot ${action} Keychain item "${service}".`,
    {
      hint: "Unlock it (log in to the Mac, or run `security unlock-keychain`); cc-pool tries again on its next poll.",
    },
  );
}

/** A CcpError for a failed Keychain call on `service`, worded as advice. Never carries item data. */
export function keychainStatusError(status: number, service: string, action: string): CcpError {
  const where = `Keychain item "${service}"`;
  switch (status) {
    case ERR_SEC_ITEM_NOT_FOUND:
      return new CcpError(
        "credential",
        `Cannot ${action} ${where}: it does not exist (OSStatus ${status}).`,
        {
          hint: "Log this account in again (`claude /login` with its CLAUDE_CONFIG_DIR) to create it.",
        },
      );
    case ERR_SEC_INTERACTION_NOT_ALLOWED:
      return new CcpError(
        "credential",
        `Cannot ${action} ${where} without user interaction; the keychain may be locked (OSStatus ${status}).`,
        {
          hint: "Unlock the login keychain (log in to the Mac, or run `security unlock-keychain`) and try again.",
        },
      );
    case ERR_SEC_AUTH_FAILED:
    case ERR_SEC_USER_CANCELED:
    case ERR_SEC_NO_ACCESS_FOR_ITEM:
    case ERR_SEC_MISSING_ENTITLEMENT:
      return new CcpError(
        "credential",
        `Access to ${where} was denied while trying to ${action} it (OSStatus ${status}).`,
        {
          hint: 'In Keychain Access, check that the item allows "/usr/bin/security", or log this account in again.',
        },
      );
    default:
      return new CcpError("credential", `Cannot ${action} ${where}: Keychain error (OSStatus ${status}).`, {
        hint: "Run `security error <code>` for details; `ccp doctor` checks every account's item.",
      });
  }
}
