import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import {
  isPooledKeychainService,
  keychainAccountName,
  keychainServiceName,
  locateKeychainCredential,
} from "../../src/secrets/keychain-naming.ts";

describe("keychainServiceName", () => {
  test("matches Claude Code's published vectors", () => {
    expect(keychainServiceName("/Users/test/.claude-work")).toBe("Claude Code-credentials-03abf0ee");
    expect(keychainServiceName("/Users/test/.claude-work/")).toBe("Claude Code-credentials-8bd6f0f5");
  });

  test("hashes the exact string: no trimming, no path normalisation", () => {
    const names = ["/a/b", "/a/b/", "/a//b", "/a/./b", "/a/b "].map(keychainServiceName);
    expect(new Set(names).size).toBe(names.length);
  });

  test("normalises to NFC first, so composed and decomposed spellings agree", () => {
    const composed = "/Users/andr\u00e9/.cc-pool/accounts/acct-01";
    const decomposed = "/Users/andre\u0301/.cc-pool/accounts/acct-01";
    expect(composed).not.toBe(decomposed);
    expect(keychainServiceName(decomposed)).toBe(keychainServiceName(composed));
  });

  test("an empty dir throws instead of naming the unsuffixed default item", () => {
    expect(() => keychainServiceName("")).toThrow(CcpError);
    expect(() => keychainServiceName(undefined as unknown as string)).toThrow(CcpError);
  });

  test("a relative dir is refused", () => {
    expect(() => keychainServiceName("acct-01")).toThrow(/not an absolute path/);
  });

  test("every produced name carries the 8-hex suffix", () => {
    for (const dir of ["/", "/x", "/Users/test/.claude", "/a b/c"]) {
      const name = keychainServiceName(dir);
      expect(name).toMatch(/^Claude Code-credentials-[0-9a-f]{8}$/);
      expect(isPooledKeychainService(name)).toBe(true);
    }
  });

  test("no source file under src/secrets spells the unsuffixed service name", () => {
    const dir = join(import.meta.dir, "../../src/secrets");
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), "utf8");
      expect({ file, bare: /Claude Code-credentials(?!-)/.test(text) }).toEqual({ file, bare: false });
    }
  });
});

describe("isPooledKeychainService", () => {
  test("rejects the default item and look-alikes", () => {
    for (const name of [
      "Claude Code-credentials",
      "Claude Code-credentials-",
      "Claude Code-credentials-03ABF0EE",
      "Claude Code-credentials-03abf0ee0",
      "Claude Code-credentials-03abf0e",
    ]) {
      expect(isPooledKeychainService(name)).toBe(false);
    }
  });
});

describe("keychainAccountName", () => {
  test("uses the user name when it is plain", () => {
    expect(keychainAccountName("alice")).toBe("alice");
    expect(keychainAccountName("a.b_c-9")).toBe("a.b_c-9");
  });

  test("falls back to claude-code-user for any other character", () => {
    for (const user of ["alice smith", "andr\u00e9", "dom\\user", "a@b", 'q"uote', ""]) {
      expect(keychainAccountName(user)).toBe("claude-code-user");
    }
  });
});

describe("locateKeychainCredential", () => {
  test("describes the item without touching anything", () => {
    expect(locateKeychainCredential("/Users/test/.claude-work", "alice")).toEqual({
      kind: "keychain",
      keychainService: "Claude Code-credentials-03abf0ee",
      keychainAccount: "alice",
      description: 'Keychain "Claude Code-credentials-03abf0ee" (acct alice)',
    });
  });
});
