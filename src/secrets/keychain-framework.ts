// Keychain lookups through Security.framework. Loaded only by keychain-store.ts, lazily: this is
// the one policy module that pulls in the bun:ffi bindings. It reads attributes and the lock state
// only; item data is read by /usr/bin/security, which the items trust.
import { CF_STRING_ENCODING_UTF8, type CoreFoundation, openCoreFoundation } from "../ffi/core-foundation.ts";
import { type CFRef, cString, outRef, readOutRef, refArray } from "../ffi/data-symbol.ts";
import { KEYCHAIN_UNLOCKED, type Security, openSecurity } from "../ffi/security.ts";
import { ERR_SEC_SUCCESS } from "./keychain-status.ts";

export type FrameworkResult<T> = { status: 0; value: T } | { status: number; value?: undefined };

export interface KeychainFramework {
  /** Whether the default keychain is locked. A locked keychain hides its items from every query. */
  isLocked(): FrameworkResult<boolean>;
  /**
   * The `acct` attribute of the service's generic-password item ("" when it has none), queried
   * by service alone. Attributes only: never prompts.
   */
  copyAccount(service: string): FrameworkResult<string>;
}

/**
 * Tracks every CF object created or copied during one query and releases them all at the end, so
 * no path (early return, throw) can leak one.
 */
class CfScope {
  private readonly owned: CFRef[] = [];
  constructor(private readonly cf: CoreFoundation) {}

  own(value: CFRef | null, what: string): CFRef {
    if (!value) throw new Error(`CoreFoundation returned NULL for ${what}`);
    this.owned.push(value);
    return value;
  }

  string(text: string): CFRef {
    return this.own(
      this.cf.symbols.CFStringCreateWithCString(null, cString(text), CF_STRING_ENCODING_UTF8),
      "a string",
    );
  }

  dictionary(entries: readonly (readonly [CFRef, CFRef])[]): CFRef {
    const created = this.cf.symbols.CFDictionaryCreate(
      null,
      refArray(entries.map(([key]) => key)),
      refArray(entries.map(([, value]) => value)),
      entries.length,
      this.cf.dictionaryKeyCallBacks,
      this.cf.dictionaryValueCallBacks,
    );
    return this.own(created, "a dictionary");
  }

  releaseAll(): void {
    for (const ref of this.owned.splice(0).reverse()) this.cf.symbols.CFRelease(ref);
  }
}

function readCfString(cf: CoreFoundation, value: CFRef): string | undefined {
  if (cf.symbols.CFGetTypeID(value) !== cf.typeIds.string) return undefined;
  const length = Number(cf.symbols.CFStringGetLength(value));
  const size = Number(cf.symbols.CFStringGetMaximumSizeForEncoding(length, CF_STRING_ENCODING_UTF8)) + 1;
  if (size <= 0) return undefined;
  const buffer = Buffer.alloc(size);
  if (cf.symbols.CFStringGetCString(value, buffer, size, CF_STRING_ENCODING_UTF8) === 0) return undefined;
  const end = buffer.indexOf(0);
  return buffer.subarray(0, end === -1 ? size : end).toString("utf8");
}

function createFramework(cf: CoreFoundation, sec: Security): KeychainFramework {
  const k = sec.constants;
  return {
    isLocked(): FrameworkResult<boolean> {
      const slot = new Uint32Array(1);
      const status = sec.symbols.SecKeychainGetStatus(null, slot);
      if (status !== ERR_SEC_SUCCESS) return { status };
      return { status: 0, value: ((slot[0] ?? 0) & KEYCHAIN_UNLOCKED) === 0 };
    },
    copyAccount(service: string): FrameworkResult<string> {
      const scope = new CfScope(cf);
      try {
        // No kSecAttrAccount: an item without an `acct` attribute must be found too (a query for
        // acct "" would not match it, and a write would then add a second item).
        const query = scope.dictionary([
          [k.class, k.classGenericPassword],
          [k.attrService, scope.string(service)],
          [k.returnAttributes, cf.booleanTrue],
          [k.matchLimit, k.matchLimitOne],
        ]);
        const slot = outRef();
        const status = sec.symbols.SecItemCopyMatching(query, slot);
        const result = readOutRef(slot);
        if (result) scope.own(result, "the query result");
        if (status !== ERR_SEC_SUCCESS) return { status };
        if (!result) throw new Error("SecItemCopyMatching succeeded without a result");
        if (cf.symbols.CFGetTypeID(result) !== cf.typeIds.dictionary) {
          throw new Error("SecItemCopyMatching returned attributes that are not a dictionary");
        }
        // Borrowed from the dictionary (get rule): not released separately.
        const account = cf.symbols.CFDictionaryGetValue(result, k.attrAccount);
        return { status: 0, value: (account && readCfString(cf, account)) || "" };
      } finally {
        scope.releaseAll();
      }
    },
  };
}

/**
 * Opens both libraries (system frameworks or stand-ins) and returns the query functions. User
 * interaction is switched off for the whole process first: no call made through the framework may
 * ever show a dialog (a dialog would freeze the synchronous FFI call, and the daemon with it).
 */
export function openKeychainFramework(coreFoundationPath: string, securityPath: string): KeychainFramework {
  const cf = openCoreFoundation(coreFoundationPath);
  const sec = openSecurity(securityPath);
  const status = sec.symbols.SecKeychainSetUserInteractionAllowed(0);
  if (status !== ERR_SEC_SUCCESS) throw new Error(`SecKeychainSetUserInteractionAllowed failed (${status})`);
  return createFramework(cf, sec);
}
