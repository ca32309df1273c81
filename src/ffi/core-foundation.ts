import { dlopen, type Library, type Pointer, read, toArrayBuffer } from "bun:ffi";
import { DATA_SYMBOL, asPointer, dataSymbolAddress } from "./data-symbol.ts";

export const CF_STRING_ENCODING_UTF8 = 0x08000100;

const CORE_FOUNDATION_SYMBOLS = {
  CFRelease: { args: ["ptr"], returns: "void" },
  CFGetTypeID: { args: ["ptr"], returns: "u64" },
  CFStringGetTypeID: { args: [], returns: "u64" },
  CFDataGetTypeID: { args: [], returns: "u64" },
  CFDictionaryGetTypeID: { args: [], returns: "u64" },
  CFStringCreateWithCString: { args: ["ptr", "ptr", "u32"], returns: "ptr" },
  CFStringGetLength: { args: ["ptr"], returns: "i64" },
  CFStringGetMaximumSizeForEncoding: { args: ["i64", "u32"], returns: "i64" },
  CFStringGetCString: { args: ["ptr", "ptr", "i64", "u32"], returns: "bool" },
  CFDataCreate: { args: ["ptr", "ptr", "i64"], returns: "ptr" },
  CFDataGetBytePtr: { args: ["ptr"], returns: "ptr" },
  CFDataGetLength: { args: ["ptr"], returns: "i64" },
  CFDictionaryCreate: { args: ["ptr", "ptr", "ptr", "i64", "ptr", "ptr"], returns: "ptr" },
  CFDictionaryGetValue: { args: ["ptr", "ptr"], returns: "ptr" },
  kCFBooleanTrue: DATA_SYMBOL,
  kCFTypeDictionaryKeyCallBacks: DATA_SYMBOL,
  kCFTypeDictionaryValueCallBacks: DATA_SYMBOL,
} as const;

export type CoreFoundationSymbols = Library<typeof CORE_FOUNDATION_SYMBOLS>["symbols"];

export interface CoreFoundation {
  readonly symbols: CoreFoundationSymbols;
  /** Value of `kCFBooleanTrue` (a CFBooleanRef). */
  readonly booleanTrue: Pointer;
  /** Addresses of the callback structs themselves: CFDictionaryCreate takes them by pointer. */
  readonly dictionaryKeyCallBacks: Pointer;
  readonly dictionaryValueCallBacks: Pointer;
  readonly typeIds: { readonly string: bigint; readonly data: bigint; readonly dictionary: bigint };
}

/** dlopens CoreFoundation (or a stand-in exporting the same names) at `path`. Throws if it cannot. */
export function openCoreFoundation(path: string): CoreFoundation {
  const lib = dlopen(path, CORE_FOUNDATION_SYMBOLS);
  const s = lib.symbols;
  const booleanTrue = asPointer(read.ptr(dataSymbolAddress(s.kCFBooleanTrue, "kCFBooleanTrue")) as Pointer);
  if (!booleanTrue) throw new Error("kCFBooleanTrue is NULL");
  return {
    symbols: s,
    booleanTrue,
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
      data: BigInt(s.CFDataGetTypeID()),
      dictionary: BigInt(s.CFDictionaryGetTypeID()),
    },
  };
}

/** Copies `length` bytes at `address` into memory Bun owns (the source dies with its CF object). */
export function copyBytes(address: Pointer, length: number): Uint8Array {
  if (length === 0) return new Uint8Array(0);
  return new Uint8Array(toArrayBuffer(address, 0, length)).slice();
}
