// Keychain reads through Security.framework. Loaded only by keychain-store.ts, lazily: this is the
// one policy module that pulls in the bun:ffi bindings.
import {
  CF_STRING_ENCODING_UTF8,
  type CoreFoundation,
  copyBytes,
  openCoreFoundation,
} from "../ffi/core-foundation.ts";
import {
  type Pointer,
  asPointer,
  cString,
  outPointer,
  pointerArray,
  readOutPointer,
} from "../ffi/data-symbol.ts";
import { type Security, openSecurity } from "../ffi/security.ts";
import { ERR_SEC_SUCCESS } from "./keychain-status.ts";

export type FrameworkResult<T> = { status: 0; value: T } | { status: number; value?: undefined };

export interface KeychainFramework {
  /** The `acct` attribute of the service's generic-password item. Attributes only: never prompts. */
  copyAccount(service: string): FrameworkResult<string>;
  /** The item's data, with user interaction disabled: refusal comes back as a status, not a dialog. */
  copyData(service: string, account: string): FrameworkResult<Uint8Array>;
}

/**
 * Tracks every CF object created or copied during one query and releases them all at the end, so
 * no path (early return, throw) can leak one.
 */
class CfScope {
  private readonly owned: Pointer[] = [];
  constructor(private readonly cf: CoreFoundation) {}

  own(value: Pointer | bigint | null, what: string): Pointer {
    const pointer = asPointer(value);
    if (!pointer) throw new Error(`CoreFoundation returned NULL for ${what}`);
    this.owned.push(pointer);
    return pointer;
  }

  string(text: string): Pointer {
    return this.own(
      this.cf.symbols.CFStringCreateWithCString(null, cString(text), CF_STRING_ENCODING_UTF8),
      "a string",
    );
  }

  dictionary(entries: readonly (readonly [Pointer, Pointer])[]): Pointer {
    const keys = pointerArray(entries.map(([key]) => key));
    const values = pointerArray(entries.map(([, value]) => value));
    const created = this.cf.symbols.CFDictionaryCreate(
      null,
      keys,
      values,
      entries.length,
      this.cf.dictionaryKeyCallBacks,
      this.cf.dictionaryValueCallBacks,
    );
    return this.own(created, "a dictionary");
  }

  releaseAll(): void {
    for (const pointer of this.owned.splice(0).reverse()) this.cf.symbols.CFRelease(pointer);
  }
}

function readCfString(cf: CoreFoundation, value: Pointer): string | undefined {
  if (BigInt(cf.symbols.CFGetTypeID(value)) !== cf.typeIds.string) return undefined;
  const length = Number(cf.symbols.CFStringGetLength(value));
  const size = Number(cf.symbols.CFStringGetMaximumSizeForEncoding(length, CF_STRING_ENCODING_UTF8)) + 1;
  if (size <= 0) return undefined;
  const buffer = Buffer.alloc(size);
  if (!cf.symbols.CFStringGetCString(value, buffer, size, CF_STRING_ENCODING_UTF8)) return undefined;
  const end = buffer.indexOf(0);
  return buffer.subarray(0, end === -1 ? size : end).toString("utf8");
}

function createFramework(cf: CoreFoundation, sec: Security): KeychainFramework {
  const k = sec.constants;

  function copyMatching<T>(
    service: string,
    account: string | undefined,
    returnKey: Pointer,
    extract: (scope: CfScope, result: Pointer) => T,
  ): FrameworkResult<T> {
    const scope = new CfScope(cf);
    try {
      const entries: [Pointer, Pointer][] = [
        [k.class, k.classGenericPassword],
        [k.attrService, scope.string(service)],
        [returnKey, cf.booleanTrue],
        [k.matchLimit, k.matchLimitOne],
        // Every query, attributes included: a locked keychain must fail fast, not show a dialog.
        [k.useAuthenticationUI, k.useAuthenticationUIFail],
      ];
      if (account !== undefined) entries.push([k.attrAccount, scope.string(account)]);
      const query = scope.dictionary(entries);
      const slot = outPointer();
      const status = sec.symbols.SecItemCopyMatching(query, slot);
      const result = readOutPointer(slot);
      if (result) scope.own(result, "the query result");
      if (status !== ERR_SEC_SUCCESS) return { status };
      if (!result) throw new Error("SecItemCopyMatching succeeded without a result");
      return { status: 0, value: extract(scope, result) };
    } finally {
      scope.releaseAll();
    }
  }

  return {
    copyAccount(service: string): FrameworkResult<string> {
      return copyMatching(service, undefined, k.returnAttributes, (_scope, result) => {
        if (BigInt(cf.symbols.CFGetTypeID(result)) !== cf.typeIds.dictionary) {
          throw new Error("SecItemCopyMatching returned attributes that are not a dictionary");
        }
        // Borrowed from the dictionary (get rule): not released separately.
        const account = asPointer(cf.symbols.CFDictionaryGetValue(result, k.attrAccount));
        return (account && readCfString(cf, account)) || "";
      });
    },
    copyData(service: string, account: string): FrameworkResult<Uint8Array> {
      return copyMatching(service, account, k.returnData, (_scope, result) => {
        if (BigInt(cf.symbols.CFGetTypeID(result)) !== cf.typeIds.data) {
          throw new Error("SecItemCopyMatching returned data that is not CFData");
        }
        const length = Number(cf.symbols.CFDataGetLength(result));
        const bytes = asPointer(cf.symbols.CFDataGetBytePtr(result));
        // Copied before the scope releases the CFData that owns the bytes.
        return bytes && length > 0 ? copyBytes(bytes, length) : new Uint8Array(0);
      });
    },
  };
}

/** Opens both libraries (system frameworks or stand-ins) and returns the query functions. */
export function openKeychainFramework(coreFoundationPath: string, securityPath: string): KeychainFramework {
  return createFramework(openCoreFoundation(coreFoundationPath), openSecurity(securityPath));
}
