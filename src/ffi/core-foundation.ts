import { dlopen, type Library, type Pointer } from "bun:ffi";
import { CF, type CFRef, DATA_SYMBOL, constantAt, dataSymbolAddress } from "./data-symbol.ts";

export const CF_STRING_ENCODING_UTF8 = 0x08000100;

// Only what the Keychain lookups call: one symbol missing from the running macOS fails the whole
// dlopen, so nothing is declared "just in case".
const CORE_FOUNDATION_SYMBOLS = {
  CFRelease: { args: [CF], returns: "void" },
  CFGetTypeID: { args: [CF], returns: "u64" },
  CFStringGetTypeID: { args: [], returns: "u64" },
  CFDictionaryGetTypeID: { args: [], returns: "u64" },
  CFStringCreateWithCString: { args: ["ptr", "ptr", "u32"], returns: CF },
  CFStringGetLength: { args: [CF], returns: "i64" },
  CFStringGetMaximumSizeForEncoding: { args: ["i64", "u32"], returns: "i64" },
  // Returns Boolean, an unsigned char: only the low byte of the register is defined.
  CFStringGetCString: { args: [CF, "ptr", "i64", "u32"], returns: "u8" },
  CFDictionaryCreate: { args: ["ptr", "ptr", "ptr", "i64", "ptr", "ptr"], returns: CF },
  CFDictionaryGetValue: { args: [CF, CF], returns: CF },
  kCFBooleanTrue: DATA_SYMBOL,
  kCFTypeDictionaryKeyCallBacks: DATA_SYMBOL,
  kCFTypeDictionaryValueCallBacks: DATA_SYMBOL,
} as const;

export type CoreFoundationSymbols = Library<typeof CORE_FOUNDATION_SYMBOLS>["symbols"];

export interface CoreFoundation {
  readonly symbols: CoreFoundationSymbols;
  /** Value of `kCFBooleanTrue` (a CFBooleanRef). */
  readonly booleanTrue: CFRef;
  /** Addresses of the callback structs themselves: CFDictionaryCreate takes them by pointer. */
  readonly dictionaryKeyCallBacks: Pointer;
  readonly dictionaryValueCallBacks: Pointer;
  readonly typeIds: { readonly string: bigint; readonly dictionary: bigint };
}

/** dlopens CoreFoundation (or a stand-in exporting the same names) at `path`. Throws if it cannot. */
export function openCoreFoundation(path: string): CoreFoundation {
  const lib = dlopen(path, CORE_FOUNDATION_SYMBOLS);
  const s = lib.symbols;
  return {
    symbols: s,
    booleanTrue: constantAt(s.kCFBooleanTrue, "kCFBooleanTrue"),
    dictionaryKeyCallBacks: dataSymbolAddress(
      s.kCFTypeDictionaryKeyCallBacks,
      "kCFTypeDictionaryKeyCallBacks",
    ),
    dictionaryValueCallBacks: dataSymbolAddress(
      s.kCFTypeDictionaryValueCallBacks,
      "kCFTypeDictionaryValueCallBacks",
    ),
    typeIds: {
      string: BigInt(s.CFStringGetTypeID()),
      dictionary: BigInt(s.CFDictionaryGetTypeID()),
    },
  };
}
