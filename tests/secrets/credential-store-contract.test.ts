// One contract, two adapters: the file store on temp dirs and the Keychain store on the native
// stand-ins (fake Security/CoreFoundation library + fake `security` tool).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { createFileStore } from "../../src/secrets/file-store.ts";
import { createKeychainStore } from "../../src/secrets/keychain-store.ts";
import { isPooledKeychainService, keychainServiceName } from "../../src/secrets/keychain-naming.ts";
import type { CredentialBlob, CredentialStore } from "../../src/secrets/types.ts";
import { type FakeKeychain, openFakeKeychain } from "../native/fake-keychain.ts";
import { fullBlob, isCompleteWriterBlob } from "./blobs.ts";

const USER = "pool-tester";
const WRITER_SCRIPT = join(import.meta.dir, "concurrent-writer.ts");

interface Harness {
  store: CredentialStore;
  newConfigDir(): string;
  /** Stores raw bytes where the adapter would, bypassing it. */
  plantRaw(configDir: string, data: string): void;
  rawData(configDir: string): Buffer | undefined;
  writerConfig(configDir: string): Record<string, unknown>;
  /** Size of each concurrent writer's blob: large for files, within one `security -i` line for the Keychain. */
  writerPadding: number;
  writerCount: number;
  childEnv: Record<string, string>;
  /** Extra checks after each test. */
  verify(): void;
  dispose(): void;
}

/** Runs `check` after every store call, whatever its outcome. */
function checkedStore(store: CredentialStore, check: () => void): CredentialStore {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } finally {
        check();
      }
    };
  return {
    kind: store.kind,
    locate: (dir) => store.locate(dir),
    exists: wrap((dir: string) => store.exists(dir)),
    read: wrap((dir: string) => store.read(dir)),
    write: wrap((dir: string, blob: CredentialBlob) => store.write(dir, blob)),
    delete: wrap((dir: string) => store.delete(dir)),
  };
}

function fileHarness(): Harness {
  const root = mkdtempSync(join(process.env.CCP_TEST_ROOT!, "file-store-"));
  let n = 0;
  return {
    store: createFileStore(),
    newConfigDir() {
      const dir = join(root, `acct-${++n}`);
      mkdirSync(dir);
      return dir;
    },
    plantRaw: (dir, data) => writeFileSync(join(dir, ".credentials.json"), data, { mode: 0o600 }),
    rawData(dir) {
      try {
        return readFileSync(join(dir, ".credentials.json"));
      } catch {
        return undefined;
      }
    },
    writerConfig: (configDir) => ({ kind: "file", configDir }),
    writerPadding: 4 * 1024 * 1024,
    writerCount: 10,
    childEnv: {},
    verify: () => undefined,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

function keychainHarness(): Harness {
  const fake: FakeKeychain = openFakeKeychain();
  let n = 0;
  const afterEveryOp = (): void => {
    expect(fake.liveObjects()).toBe(0);
    expect(fake.badHandles()).toBe(0);
  };
  const store = createKeychainStore({
    securityLib: fake.libPath,
    coreFoundationLib: fake.libPath,
    securityBin: fake.toolPath,
    user: USER,
  });
  return {
    store: checkedStore(store, afterEveryOp),
    newConfigDir: () => `/Users/test/.cc-pool/accounts/acct-${String(++n).padStart(2, "0")}`,
    plantRaw: (dir, data) => fake.putItem(keychainServiceName(dir), USER, data),
    rawData: (dir) => fake.itemData(keychainServiceName(dir), USER),
    writerConfig: (configDir) => ({
      kind: "keychain",
      configDir,
      lib: fake.libPath,
      securityBin: fake.toolPath,
    }),
    writerPadding: 1500,
    writerCount: 8,
    childEnv: { FAKE_KEYCHAIN_DIR: fake.dir },
    verify() {
      const services = fake.events().map((event) => event.service);
      expect(services.length).toBeGreaterThan(0);
      expect(services).not.toContain("Claude Code-credentials");
      for (const service of services) expect(isPooledKeychainService(service)).toBe(true);
      expect(fake.events().filter((event) => event.op === "PROMPT")).toEqual([]);
    },
    dispose: () => fake.dispose(),
  };
}

for (const [name, makeHarness] of [
  ["file", fileHarness],
  ["keychain", keychainHarness],
] as const) {
  describe(`CredentialStore contract (${name})`, () => {
    let h: Harness;
    const children: Bun.Subprocess[] = [];

    beforeAll(() => {
      h = makeHarness();
    });
    afterEach(async () => {
      for (const child of children.splice(0)) {
        child.kill("SIGKILL");
        await child.exited;
      }
    });
    afterAll(() => {
      h.verify();
      h.dispose();
    });

    test("round-trips a blob exactly, unknown fields included", async () => {
      const dir = h.newConfigDir();
      const blob = fullBlob();
      await h.store.write(dir, blob);
      expect(await h.store.exists(dir)).toBe(true);
      expect(await h.store.read(dir)).toEqual(blob);
      // Claude Code's own format: minified JSON.
      expect(JSON.parse(h.rawData(dir)!.toString("utf8"))).toEqual(blob);
    });

    test("an update keeps unknown fields and the epoch-ms expiry", async () => {
      const dir = h.newConfigDir();
      await h.store.write(dir, fullBlob("sk-ant-oat01-old"));
      const read = (await h.store.read(dir))!;
      const oauth = read.claudeAiOauth!;
      await h.store.write(dir, {
        ...read,
        claudeAiOauth: { ...oauth, accessToken: "sk-ant-oat01-new", expiresAt: 1_900_000_000_456 },
      });
      const updated = (await h.store.read(dir))!;
      expect(updated.claudeAiOauth?.accessToken).toBe("sk-ant-oat01-new");
      expect(updated.claudeAiOauth?.expiresAt).toBe(1_900_000_000_456);
      expect(updated.claudeAiOauth?.futureOauthField).toEqual({ nested: [1, 2, 3] });
      expect(updated.mcpOAuth).toEqual(fullBlob().mcpOAuth);
      expect(updated.futureTopLevel).toBe(true);
    });

    test("an absent refreshToken stays absent and an empty one stays empty", async () => {
      const accessOnly = h.newConfigDir();
      await h.store.write(accessOnly, { claudeAiOauth: { accessToken: "sk-ant-oat01-a", expiresAt: 5 } });
      const readAccessOnly = (await h.store.read(accessOnly))!;
      expect("refreshToken" in readAccessOnly.claudeAiOauth!).toBe(false);
      await h.store.write(accessOnly, readAccessOnly);
      expect(h.rawData(accessOnly)!.toString("utf8")).not.toContain("refreshToken");

      const deadChain = h.newConfigDir();
      await h.store.write(deadChain, { claudeAiOauth: { accessToken: "sk-ant-oat01-b", refreshToken: "" } });
      expect((await h.store.read(deadChain))!.claudeAiOauth!.refreshToken).toBe("");
    });

    test("a missing credential reads as undefined and does not exist", async () => {
      const dir = h.newConfigDir();
      expect(await h.store.read(dir)).toBeUndefined();
      expect(await h.store.exists(dir)).toBe(false);
    });

    test("delete removes the credential and is idempotent", async () => {
      const dir = h.newConfigDir();
      await h.store.delete(dir);
      await h.store.write(dir, fullBlob());
      await h.store.delete(dir);
      expect(await h.store.exists(dir)).toBe(false);
      expect(await h.store.read(dir)).toBeUndefined();
      expect(h.rawData(dir)).toBeUndefined();
      await h.store.delete(dir);
    });

    test("each config dir has its own credential", async () => {
      const a = h.newConfigDir();
      const b = h.newConfigDir();
      await h.store.write(a, fullBlob("sk-ant-oat01-a"));
      await h.store.write(b, fullBlob("sk-ant-oat01-b"));
      await h.store.delete(a);
      expect(await h.store.read(a)).toBeUndefined();
      expect((await h.store.read(b))?.claudeAiOauth?.accessToken).toBe("sk-ant-oat01-b");
    });

    test.each([
      ["not JSON", '{"claudeAiOauth": {"accessToken": "sk-ant-oat01-secret"'],
      ["a JSON array", "[1,2]"],
      ["an accessToken of the wrong type", '{"claudeAiOauth":{"accessToken":42}}'],
      [
        "an expiresAt that is not a number",
        '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-secret","expiresAt":"soon"}}',
      ],
    ])("a corrupt payload (%s) is a clear error and is left untouched", async (_label, payload) => {
      const dir = h.newConfigDir();
      h.plantRaw(dir, payload);
      const error = await h.store.read(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CcpError);
      expect((error as CcpError).code).toBe("credential");
      expect((error as CcpError).message).toContain("corrupt");
      expect((error as CcpError).message).toContain(
        name === "file" ? join(dir, ".credentials.json") : keychainServiceName(dir),
      );
      expect((error as CcpError).message).not.toContain("sk-ant-oat01-secret");
      expect(h.rawData(dir)?.toString("utf8")).toBe(payload);
      expect(await h.store.exists(dir)).toBe(true);
    });

    test("an invalid blob is refused on write and nothing is stored", async () => {
      const dir = h.newConfigDir();
      const invalid = { claudeAiOauth: { refreshToken: "sk-ant-ort01-x" } } as unknown as CredentialBlob;
      await expect(h.store.write(dir, invalid)).rejects.toThrow(/invalid credential/);
      expect(h.rawData(dir)).toBeUndefined();
    });

    test("an empty config dir is refused before anything is touched", async () => {
      await expect(h.store.read("")).rejects.toThrow(CcpError);
      await expect(h.store.write("", fullBlob())).rejects.toThrow(CcpError);
      await expect(h.store.exists("")).rejects.toThrow(CcpError);
      await expect(h.store.delete("")).rejects.toThrow(CcpError);
      expect(() => h.store.locate("")).toThrow(CcpError);
    });

    test("two processes writing concurrently leave one complete blob, never a torn one", async () => {
      const dir = h.newConfigDir();
      const writers = ["a", "b"];
      const count = h.writerCount;
      const padding = h.writerPadding;
      for (const writer of writers) {
        const config = { ...h.writerConfig(dir), writer, count, padding };
        children.push(
          Bun.spawn([process.execPath, WRITER_SCRIPT, JSON.stringify(config)], {
            env: { ...process.env, ...h.childEnv },
            stdout: "ignore",
            stderr: "pipe",
          }),
        );
      }
      let running = true;
      const exits = Promise.all(children.map((child) => child.exited)).finally(() => {
        running = false;
      });
      // Readers racing the writers must only ever see nothing yet or one whole blob.
      let reads = 0;
      while (running) {
        const seen = await h.store.read(dir);
        if (seen !== undefined) expect(isCompleteWriterBlob(seen, writers, padding)).toBe(true);
        reads++;
        // A Keychain read can complete without IO; yield so the children's exits are noticed.
        await Bun.sleep(0);
      }
      const codes = await exits;
      const stderr = await Promise.all(
        children.map((child) => new Response(child.stderr as ReadableStream).text()),
      );
      expect({ codes, stderr }).toEqual({ codes: [0, 0], stderr: ["", ""] });
      expect(reads).toBeGreaterThan(0);
      const final = await h.store.read(dir);
      expect(isCompleteWriterBlob(final, writers, padding)).toBe(true);
      expect(final?.seq).toBe(count - 1);
    });
  });
}
