// Keychain policy on the native stand-ins: what goes through Security.framework, what goes through
// the `security` tool, and how refusals surface.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { keychainServiceName } from "../../src/secrets/keychain-naming.ts";
import {
  type KeychainStoreOptions,
  createKeychainStore,
  decodeKeychainPayload,
} from "../../src/secrets/keychain-store.ts";
import type { CredentialStore } from "../../src/secrets/types.ts";
import { type FakeKeychain, openFakeKeychain } from "../native/fake-keychain.ts";
import { fullBlob } from "./blobs.ts";

const USER = "alice";
const DIR = "/Users/test/.claude-work";
const SERVICE = keychainServiceName(DIR);
const BLOB = fullBlob("sk-ant-oat01-keychain-secret");
const BLOB_JSON = JSON.stringify(BLOB);

let fake: FakeKeychain;

function store(overrides: Partial<KeychainStoreOptions> = {}): CredentialStore {
  return createKeychainStore({
    securityLib: fake.libPath,
    coreFoundationLib: fake.libPath,
    securityBin: fake.toolPath,
    user: USER,
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<CcpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CcpError);
  expect((error as CcpError).code).toBe("credential");
  return error as CcpError;
}

const ops = (): string[] => fake.events().map((e) => `${e.source} ${e.op}`);

beforeAll(() => {
  fake = openFakeKeychain();
});
beforeEach(() => fake.reset());
afterEach(() => {
  expect(fake.liveObjects()).toBe(0);
  expect(fake.badHandles()).toBe(0);
  expect(ops()).not.toContain("lib PROMPT");
  expect(fake.events().map((e) => e.service)).not.toContain("Claude Code-credentials");
});
afterAll(() => fake.dispose());

describe("lookups", () => {
  test("exists() reads attributes only, never data", async () => {
    fake.putItem(SERVICE, USER, BLOB_JSON);
    expect(await store().exists(DIR)).toBe(true);
    expect(ops()).toEqual(["lib copy-attributes"]);
    expect(fake.toolRuns()).toEqual([]);
  });

  test("exists() is false for a missing item and true for an item under another account", async () => {
    expect(await store().exists(DIR)).toBe(false);
    fake.putItem(SERVICE, "someone-else", BLOB_JSON);
    expect(await store().exists(DIR)).toBe(true);
  });

  test("an item of another config dir is not this dir's credential", async () => {
    fake.putItem(keychainServiceName(`${DIR}/`), USER, BLOB_JSON);
    expect(await store().exists(DIR)).toBe(false);
    expect(await store().read(DIR)).toBeUndefined();
  });

  test("the framework is opened with user interaction switched off", async () => {
    fake.putItem(SERVICE, USER, BLOB_JSON);
    await store().exists(DIR);
    expect(fake.interactionAllowed()).toBe(false);
  });
});

describe("reads", () => {
  test("item data is read by the security tool, never through the framework (it would prompt)", async () => {
    fake.putItem(SERVICE, "someone-else", BLOB_JSON);
    expect(await store().read(DIR)).toEqual(BLOB);
    expect(ops()).toEqual(["lib copy-attributes", "tool find-generic-password"]);
    // The tool is asked for the item that exists, under its own account attribute.
    expect(fake.toolRuns().map((run) => run.argv)).toEqual([
      ["find-generic-password", "-s", SERVICE, "-a", "someone-else", "-w"],
    ]);
  });

  test("a short account name (a tagged CFString) is read back exactly", async () => {
    for (const account of ["bob", "alice", "a.b-c_7"]) {
      fake.reset();
      fake.putItem(SERVICE, account, BLOB_JSON);
      expect(store().locate(DIR).keychainService).toBe(SERVICE);
      expect(await store().read(DIR)).toEqual(BLOB);
      expect(fake.toolRuns().map((run) => run.argv[4])).toEqual([account]);
    }
  });

  test("an item without an acct attribute is found, read and updated in place", async () => {
    fake.putItem(SERVICE, "", BLOB_JSON);
    const s = store();
    expect(await s.exists(DIR)).toBe(true);
    expect(await s.read(DIR)).toEqual(BLOB);
    expect(fake.toolRuns().map((run) => run.argv)).toEqual([["find-generic-password", "-s", SERVICE, "-w"]]);
    const updated = fullBlob("sk-ant-oat01-rotated");
    await s.write(DIR, updated);
    expect(fake.items()).toEqual([{ service: SERVICE, account: "" }]);
    expect(await s.read(DIR)).toEqual(updated);
  });

  test("hex output of the tool (a byte that fails isprint) is decoded", async () => {
    const blob = { ...BLOB, mcpOAuth: { server: "caf\u00e9" } };
    fake.putItem(SERVICE, USER, JSON.stringify(blob));
    expect(await store().read(DIR)).toEqual(blob);
  });

  test("a payload stored hex-encoded is decoded", async () => {
    fake.putItem(SERVICE, USER, Buffer.from(BLOB_JSON).toString("hex"));
    expect(await store().read(DIR)).toEqual(BLOB);
  });

  test.each([
    ["outside a GUI session", false],
    ["in a GUI session (the tool would wait on an unlock dialog)", true],
  ])(
    "a locked keychain %s is 'locked' for every operation, never 'absent', and never reaches the tool",
    async (_label, gui) => {
      fake.putItem(SERVICE, USER, BLOB_JSON);
      fake.setLocked(true);
      fake.setGuiSession(gui);
      const s = store();
      for (const attempt of [
        s.read(DIR),
        s.exists(DIR),
        s.write(DIR, fullBlob("sk-ant-oat01-other")),
        s.delete(DIR),
      ]) {
        const error = await attempt.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(CcpError);
        expect((error as CcpError).code).toBe("keychain-locked");
        expect((error as CcpError).message).toContain("keychain is locked");
        expect((error as CcpError).hint).toContain("Unlock");
      }
      expect(fake.toolRuns()).toEqual([]);
      expect(fake.itemData(SERVICE, USER)?.toString()).toBe(BLOB_JSON);
      fake.setLocked(false);
      expect(await s.read(DIR)).toEqual(BLOB);
    },
  );

  test("a refusal by the tool too is an access error, not 'absent'", async () => {
    fake.putItem(SERVICE, USER, BLOB_JSON, ["tooldenied"]);
    const error = await rejection(store().read(DIR));
    expect(error.message).toContain("denied");
    expect(error.message).toContain(SERVICE);
  });

  test("a tool that never answers is killed and reported, not waited on", async () => {
    fake.putItem(SERVICE, USER, BLOB_JSON, ["hang"]);
    const error = await rejection(store({ toolTimeoutMs: 300 }).read(DIR));
    expect(error.message).toContain("did not answer");
    const [run] = fake.toolRuns();
    expect(run).toBeDefined();
    expect(() => process.kill(run!.pid, 0)).toThrow();
  });

  test("an unexpected tool failure names the status and never echoes a token", async () => {
    const bin = join(mkdtempSync(join(process.env.CCP_TEST_ROOT!, "bad-security-")), "security");
    writeFileSync(bin, "#!/bin/sh\necho 'security: boom sk-ant-oat01-leaked-secret' >&2\nexit 7\n");
    chmodSync(bin, 0o755);
    fake.putItem(SERVICE, USER, BLOB_JSON);
    const error = await rejection(store({ securityBin: bin }).read(DIR));
    expect(error.message).toContain("status 7");
    expect(error.message).toContain("boom");
    expect(error.message).not.toContain("leaked-secret");
  });

  test("a missing tool is a clear error", async () => {
    fake.putItem(SERVICE, USER, BLOB_JSON);
    const error = await rejection(store({ securityBin: "/nonexistent/security" }).read(DIR));
    expect(error.message).toContain("/nonexistent/security");
  });

  test("another OSStatus is reported with its code", async () => {
    fake.setLibraryDir("");
    try {
      const error = await rejection(store().exists(DIR));
      expect(error.message).toContain("OSStatus -25291");
    } finally {
      fake.setLibraryDir(fake.dir);
    }
  });

  test("libraries that cannot be loaded are a clear error", async () => {
    const error = await rejection(store({ securityLib: "/nonexistent/Security" }).exists(DIR));
    expect(error.message).toContain("Cannot load the Keychain libraries");
    expect(error.hint).toContain("CCP_SECURITY_LIB");
  });
});

describe("writes", () => {
  test("the secret goes to `security -i` on stdin, hex-encoded, never in argv", async () => {
    await store().write(DIR, BLOB);
    const runs = fake.toolRuns();
    expect(runs.map((run) => run.argv)).toEqual([["-i"]]);
    const argvText = JSON.stringify(runs);
    expect(argvText).not.toContain("keychain-secret");
    expect(argvText).not.toContain(Buffer.from("keychain-secret").toString("hex"));
    expect(fake.itemData(SERVICE, USER)?.toString()).toBe(BLOB_JSON);
    expect(fake.items()).toEqual([{ service: SERVICE, account: USER }]);
  });

  test("a blob too large for one interactive line still round-trips", async () => {
    const large = { ...BLOB, mcpOAuth: { big: "m".repeat(3000) } };
    await store().write(DIR, large);
    expect(await store().read(DIR)).toEqual(large);
    expect(fake.toolRuns()[0]?.argv[0]).toBe("add-generic-password");
  });

  test("an update keeps the existing item's account instead of adding a second item", async () => {
    fake.putItem(SERVICE, "someone-else", JSON.stringify(fullBlob("sk-ant-oat01-old")));
    await store().write(DIR, BLOB);
    expect(fake.items()).toEqual([{ service: SERVICE, account: "someone-else" }]);
    expect(fake.itemData(SERVICE, "someone-else")?.toString()).toBe(BLOB_JSON);
  });

  test("a user name with unusual characters writes under claude-code-user", async () => {
    const s = store({ user: "Alice Smith" });
    await s.write(DIR, BLOB);
    expect(fake.items()).toEqual([{ service: SERVICE, account: "claude-code-user" }]);
    expect(s.locate(DIR).keychainAccount).toBe("claude-code-user");
  });
});

describe("deletes", () => {
  test("delete goes through the tool and removes every item of the dir's service", async () => {
    fake.putItem(SERVICE, USER, BLOB_JSON);
    fake.putItem(SERVICE, "someone-else", BLOB_JSON);
    const other = keychainServiceName("/Users/test/other");
    fake.putItem(other, USER, BLOB_JSON);
    await store().delete(DIR);
    expect(fake.items()).toEqual([{ service: other, account: USER }]);
    expect(ops().filter((op) => op.startsWith("tool"))).toEqual([
      "tool delete-generic-password",
      "tool delete-generic-password",
    ]);
  });
});

describe("decodeKeychainPayload", () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  test("decodes hex only when it turns into JSON", () => {
    expect(decodeKeychainPayload(bytes(Buffer.from('{"a":1}').toString("hex")))).toBe('{"a":1}');
    expect(decodeKeychainPayload(bytes('{"a":1}'))).toBe('{"a":1}');
    expect(decodeKeychainPayload(bytes("deadbeef"))).toBe("deadbeef");
    expect(decodeKeychainPayload(bytes("abc"))).toBe("abc");
    expect(decodeKeychainPayload(bytes(""))).toBe("");
  });
});
