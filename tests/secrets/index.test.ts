import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadEnv } from "../../src/env.ts";
import { createCredentialStore, locateCredential } from "../../src/secrets/index.ts";
import { type FakeKeychain, openFakeKeychain } from "../native/fake-keychain.ts";
import { fullBlob } from "./blobs.ts";

const SRC = resolve(import.meta.dir, "../../src");

/** Every module reachable from `entry` through static imports (dynamic import() excluded). */
function staticImportClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.startsWith("/")) continue;
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gm)) {
      if (match[1]) continue;
      const spec = match[2]!;
      pending.push(spec.startsWith(".") ? resolve(dirname(file), spec) : spec);
    }
  }
  return seen;
}

describe("backend choice", () => {
  let fake: FakeKeychain;
  beforeAll(() => {
    fake = openFakeKeychain();
  });
  afterAll(() => fake.dispose());

  test("secretStore=file gives the file store", async () => {
    const ccpHome = mkdtempSync(join(process.env.CCP_TEST_ROOT!, "index-file-"));
    const store = createCredentialStore(
      loadEnv({ HOME: "/h", CCP_HOME: ccpHome, CCP_SECRET_STORE: "file", USER: "alice" }),
    );
    expect(store.kind).toBe("file");
    const dir = join(ccpHome, "accounts", "acct-01");
    mkdirSync(dir, { recursive: true });
    await store.write(dir, fullBlob());
    // Only dirs directly inside CCP_HOME/accounts are account dirs.
    await expect(store.write(ccpHome, fullBlob())).rejects.toThrow(/not inside/);
    expect(JSON.parse(readFileSync(join(dir, ".credentials.json"), "utf8"))).toEqual(fullBlob());
  });

  test("secretStore=keychain gives the Keychain store on the libraries and tool from the env", async () => {
    const env = loadEnv({
      HOME: "/h",
      USER: "alice",
      CCP_SECRET_STORE: "keychain",
      CCP_SECURITY_LIB: fake.libPath,
      CCP_COREFOUNDATION_LIB: fake.libPath,
      CCP_SECURITY_BIN: fake.toolPath,
    });
    const store = createCredentialStore(env);
    expect(store.kind).toBe("keychain");
    await store.write("/Users/test/.claude-work", fullBlob());
    expect(fake.items()).toEqual([{ service: "Claude Code-credentials-03abf0ee", account: "alice" }]);
    expect(await store.read("/Users/test/.claude-work")).toEqual(fullBlob());
    expect(fake.liveObjects()).toBe(0);
  });

  test("locateCredential follows the backend without IO", () => {
    expect(locateCredential({ secretStore: "keychain", user: "bob" }, "/Users/test/.claude-work")).toEqual({
      kind: "keychain",
      keychainService: "Claude Code-credentials-03abf0ee",
      keychainAccount: "bob",
      description: 'Keychain "Claude Code-credentials-03abf0ee" (acct bob)',
    });
    expect(locateCredential({ secretStore: "file", user: "bob" }, "/nowhere/acct-01")).toEqual({
      kind: "file",
      path: "/nowhere/acct-01/.credentials.json",
      description: "File /nowhere/acct-01/.credentials.json",
    });
    expect(() => locateCredential({ secretStore: "keychain", user: "bob" }, "")).toThrow();
  });
});

describe("module boundaries", () => {
  test("the import graph of the secrets entry point never reaches bun:ffi statically", () => {
    const closure = staticImportClosure(join(SRC, "secrets/index.ts"));
    expect(closure.has(join(SRC, "secrets/file-store.ts"))).toBe(true);
    expect(closure.has(join(SRC, "secrets/keychain-store.ts"))).toBe(true);
    expect(closure.has("bun:ffi")).toBe(false);
    // The path checks every command makes (src/fs/probe.ts) bind libc through Bun.FFI's natives,
    // on Linux too, without the bun:ffi module; the Keychain's bindings stay out of reach.
    const libc = join(SRC, "ffi/libc.ts");
    expect([...closure].filter((file) => file.startsWith(join(SRC, "ffi")) && file !== libc)).toEqual([]);
    expect(staticImportClosure(libc).has("bun:ffi")).toBe(false);
    expect(closure.has(join(SRC, "secrets/keychain-framework.ts"))).toBe(false);
  });

  test("the closure walk does see bun:ffi where it is imported", () => {
    expect(staticImportClosure(join(SRC, "secrets/keychain-framework.ts")).has("bun:ffi")).toBe(true);
  });

  test("no secrets module imports bun:ffi itself; the keychain store loads the framework lazily", () => {
    const keychainStore = readFileSync(join(SRC, "secrets/keychain-store.ts"), "utf8");
    expect(keychainStore).toContain('import("./keychain-framework.ts")');
    for (const file of ["file-store.ts", "keychain-naming.ts", "keychain-store.ts", "blob.ts", "index.ts"]) {
      const text = readFileSync(join(SRC, "secrets", file), "utf8");
      expect({ file, ffi: /(from\s+|import\()"bun:ffi"/.test(text) }).toEqual({ file, ffi: false });
    }
  });
});
