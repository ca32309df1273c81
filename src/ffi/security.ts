import { dlopen, type Library } from "bun:ffi";
import { CF, type CFRef, DATA_SYMBOL, constantAt } from "./data-symbol.ts";

// Attribute lookups and the lock state only. Item data is never read through the framework (the
// items trust /usr/bin/security, and a data read can raise a dialog that
// kSecUseAuthenticationUIFail does not stop); writes go through the tool too. One symbol missing
// from the running macOS fails the whole dlopen, so nothing else is declared.
const SECURITY_SYMBOLS = {
  SecItemCopyMatching: { args: [CF, "ptr"], returns: "i32" },
  // (SecKeychainRef keychain, SecKeychainStatus *status); NULL asks about the default keychain.
  SecKeychainGetStatus: { args: ["ptr", "ptr"], returns: "i32" },
  SecKeychainSetUserInteractionAllowed: { args: ["u8"], returns: "i32" },
  kSecClass: DATA_SYMBOL,
  kSecClassGenericPassword: DATA_SYMBOL,
  kSecAttrService: DATA_SYMBOL,
  kSecAttrAccount: DATA_SYMBOL,
  kSecReturnAttributes: DATA_SYMBOL,
  kSecMatchLimit: DATA_SYMBOL,
  kSecMatchLimitOne: DATA_SYMBOL,
} as const;

export type SecuritySymbols = Library<typeof SECURITY_SYMBOLS>["symbols"];

/** SecKeychainStatus bit: the keychain is unlocked. */
export const KEYCHAIN_UNLOCKED = 1;

/** The `kSec…` constants (CFStringRefs) the Keychain queries use. */
export interface SecurityConstants {
  readonly class: CFRef;
  readonly classGenericPassword: CFRef;
  readonly attrService: CFRef;
  readonly attrAccount: CFRef;
  readonly returnAttributes: CFRef;
  readonly matchLimit: CFRef;
  readonly matchLimitOne: CFRef;
}

export interface Security {
  readonly symbols: SecuritySymbols;
  readonly constants: SecurityConstants;
}

/** dlopens Security.framework (or a stand-in exporting the same names) at `path`. Throws if it cannot. */
export function openSecurity(path: string): Security {
  const s = dlopen(path, SECURITY_SYMBOLS).symbols;
  return {
    symbols: s,
    constants: {
      class: constantAt(s.kSecClass, "kSecClass"),
      classGenericPassword: constantAt(s.kSecClassGenericPassword, "kSecClassGenericPassword"),
      attrService: constantAt(s.kSecAttrService, "kSecAttrService"),
      attrAccount: constantAt(s.kSecAttrAccount, "kSecAttrAccount"),
      returnAttributes: constantAt(s.kSecReturnAttributes, "kSecReturnAttributes"),
      matchLimit: constantAt(s.kSecMatchLimit, "kSecMatchLimit"),
      matchLimitOne: constantAt(s.kSecMatchLimitOne, "kSecMatchLimitOne"),
    },
  };
}
