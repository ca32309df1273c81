import { type Pointer, read } from "bun:ffi";

/**
 * A CoreFoundation value (CFTypeRef, CFStringRef, …) as it crossed the FFI boundary: always a
 * bigint, 0n for NULL. CoreFoundation hands out tagged pointers (short CFStrings: top bit set on
 * arm64, low bit on x86_64, scrambled payload) above 2^53; a JS number would round their low bits
 * away, so no CF value may ever pass through a `number` (declare them `u64`, never `ptr`).
 */
export type CFRef = bigint;

/** Declaration for a CF value argument or result: `u64` keeps all 64 bits as a bigint. */
export const CF = "u64" as const;

/**
 * Declaration for an exported data symbol (a `kSec…`/`kCF…` constant). It is declared like a
 * function so dlopen resolves its address, and must never be called.
 */
export const DATA_SYMBOL = { args: [], returns: "ptr" } as const;

/** Address of a data symbol resolved by dlopen. The `ptr` field is missing from Bun's types. */
export function dataSymbolAddress(symbol: unknown, name: string): Pointer {
  const address = (symbol as { ptr?: Pointer | null } | undefined)?.ptr;
  if (!address) throw new Error(`Symbol ${name} did not resolve to an address`);
  return address;
}

/**
 * The CF value stored in an exported `const CFStringRef` (or CFBooleanRef) variable. Read with
 * `read.u64`: `read.ptr` goes through a number and loses the low bits of a value above 2^53.
 */
export function constantAt(symbol: unknown, name: string): CFRef {
  const value = read.u64(dataSymbolAddress(symbol, name));
  if (value === 0n) throw new Error(`${name} is NULL`);
  return value;
}

/** A NUL-terminated UTF-8 copy of `text`, to pass as `const char *`. */
export function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`, "utf8");
}

/** A one-slot out-parameter (`CFTypeRef *`); read it back with {@link readOutRef}. */
export function outRef(): BigUint64Array {
  return new BigUint64Array(1);
}

/** The CF value a call stored in an out-parameter, or null for NULL. */
export function readOutRef(slot: BigUint64Array): CFRef | null {
  const value = slot[0] ?? 0n;
  return value === 0n ? null : value;
}

/** An array of CF values (`const void **`) for CFDictionaryCreate. */
export function refArray(refs: readonly CFRef[]): BigUint64Array {
  return BigUint64Array.from(refs);
}

export type { Pointer } from "bun:ffi";
