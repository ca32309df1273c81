import { dlopen, type Library, type Pointer, read } from "bun:ffi";
import { DATA_SYMBOL, asPointer, dataSymbolAddress } from "./data-symbol.ts";

const SECURITY_SYMBOLS = {
  SecItemCopyMatching: { args: ["ptr", "ptr"], returns: "i32" },
  SecItemAdd: { args: ["ptr", "ptr"], returns: "i32" },
  SecItemUpdate: { args: ["ptr", "ptr"], returns: "i32" },
  SecItemDelete: { args: ["ptr"], returns: "i32" },
  kSecClass: DATA_SYMBOL,
  kSecClassGenericPassword: DATA_SYMBOL,
  kSecAttrService: DATA_SYMBOL,
  kSecAttrAccount: DATA_SYMBOL,
  kSecReturnAttributes: DATA_SYMBOL,
  kSecReturnData: DATA_SYMBOL,
  kSecMatchLimit: DATA_SYMBOL,
  kSecMatchLimitOne: DATA_SYMBOL,
  kSecUseAuthenticationUI: DATA_SYMBOL,
  kSecUseAuthenticationUIFail: DATA_SYMBOL,
  kSecValueData: DATA_SYMBOL,
} as const;

export type SecuritySymbols = Library<typeof SECURITY_SYMBOLS>["symbols"];

/** The `kSec…` constants (CFStringRefs) the Keychain queries use. */
export interface SecurityConstants {
  readonly class: Pointer;
  readonly classGenericPassword: Pointer;
  readonly attrService: Pointer;
  readonly attrAccount: Pointer;
  readonly returnAttributes: Pointer;
  readonly returnData: Pointer;
  readonly matchLimit: Pointer;
  readonly matchLimitOne: Pointer;
  readonly useAuthenticationUI: Pointer;
  readonly useAuthenticationUIFail: Pointer;
  readonly valueData: Pointer;
}

export interface Security {
  readonly symbols: SecuritySymbols;
  readonly constants: SecurityConstants;
}

// The exported symbol is a `const CFStringRef` variable: its address holds the pointer we need.
function constantAt(symbol: unknown, name: string): Pointer {
  const value = asPointer(read.ptr(dataSymbolAddress(symbol, name)) as Pointer);
  if (!value) throw new Error(`${name} is NULL`);
  return value;
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
      returnData: constantAt(s.kSecReturnData, "kSecReturnData"),
      matchLimit: constantAt(s.kSecMatchLimit, "kSecMatchLimit"),
      matchLimitOne: constantAt(s.kSecMatchLimitOne, "kSecMatchLimitOne"),
      useAuthenticationUI: constantAt(s.kSecUseAuthenticationUI, "kSecUseAuthenticationUI"),
      useAuthenticationUIFail: constantAt(s.kSecUseAuthenticationUIFail, "kSecUseAuthenticationUIFail"),
      valueData: constantAt(s.kSecValueData, "kSecValueData"),
    },
  };
}
