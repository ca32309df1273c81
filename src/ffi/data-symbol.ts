import type { Pointer } from "bun:ffi";

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

/** A NUL-terminated UTF-8 copy of `text`, to pass as `const char *`. */
export function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`, "utf8");
}

/** A one-slot out-parameter (`CFTypeRef *`); read it back with {@link readOutPointer}. */
export function outPointer(): BigUint64Array {
  return new BigUint64Array(1);
}

export function readOutPointer(slot: BigUint64Array): Pointer | null {
  const value = slot[0] ?? 0n;
  return value === 0n ? null : (Number(value) as Pointer);
}

/** Normalises a returned pointer (Bun may hand back a bigint) to a Pointer or null. */
export function asPointer(value: Pointer | bigint | null): Pointer | null {
  if (value === null) return null;
  if (typeof value === "bigint") return value === 0n ? null : (Number(value) as Pointer);
  return value === 0 ? null : value;
}

/** An array of pointers (`const void **`) for CFDictionaryCreate. */
export function pointerArray(pointers: readonly Pointer[]): BigUint64Array {
  return BigUint64Array.from(pointers, (p) => BigInt(p));
}

export type { Pointer } from "bun:ffi";
