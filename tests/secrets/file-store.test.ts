import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { createFileStore, credentialsFilePath, locateCredentialFile } from "../../src/secrets/file-store.ts";
import { fullBlob } from "./blobs.ts";

const root = mkdtempSync(join(process.env.CCP_TEST_ROOT!, "file-store-unit-"));
let dir: string;
let n = 0;
const store = createFileStore();

beforeEach(() => {
  dir = join(root, `acct-${++n}`);
  mkdirSync(dir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("file store", () => {
  test("writes <dir>/.credentials.json with mode 0600 and nothing else", async () => {
    await store.write(dir, fullBlob());
    expect(readdirSync(dir)).toEqual([".credentials.json"]);
    expect(statSync(join(dir, ".credentials.json")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, ".credentials.json"), "utf8")).toBe(JSON.stringify(fullBlob()));
  });

  test("replacing a looser existing file leaves a 0600 file", async () => {
    writeFileSync(join(dir, ".credentials.json"), "{}", { mode: 0o644 });
    const oldUmask = process.umask(0);
    try {
      await store.write(dir, fullBlob());
    } finally {
      process.umask(oldUmask);
    }
    expect(statSync(join(dir, ".credentials.json")).mode & 0o777).toBe(0o600);
  });

  test("a failed write leaves no temp file and the old credential in place", async () => {
    // A directory where the file should be makes the final rename fail.
    mkdirSync(join(dir, ".credentials.json"));
    const error = await store.write(dir, fullBlob()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CcpError);
    expect((error as CcpError).message).toContain(join(dir, ".credentials.json"));
    expect(readdirSync(dir)).toEqual([".credentials.json"]);
    expect(statSync(join(dir, ".credentials.json")).isDirectory()).toBe(true);
  });

  test("writing into a config dir that does not exist fails without creating it", async () => {
    const missing = join(dir, "missing");
    await expect(store.write(missing, fullBlob())).rejects.toThrow(/Cannot write/);
    expect(readdirSync(dir)).toEqual([]);
    expect(await store.read(missing)).toBeUndefined();
    expect(await store.exists(missing)).toBe(false);
  });

  test("a corrupt file is reported by path and left byte-for-byte untouched", async () => {
    const path = join(dir, ".credentials.json");
    writeFileSync(path, "{ torn", { mode: 0o600 });
    utimesSync(path, 1_000_000, 1_000_000);
    const error = await store.read(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CcpError);
    expect((error as CcpError).message).toBe(`The credential in ${path} is corrupt (not valid JSON).`);
    expect(readFileSync(path, "utf8")).toBe("{ torn");
    expect(statSync(path).mtimeMs).toBe(1_000_000_000);
  });

  test("a schema problem names the field but not its value", async () => {
    writeFileSync(
      join(dir, ".credentials.json"),
      '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x","scopes":"user:inference"}}',
    );
    const error = await store.read(dir).catch((e: unknown) => e as CcpError);
    expect((error as CcpError).message).toContain("claudeAiOauth.scopes");
    expect((error as CcpError).message).not.toContain("sk-ant-oat01-x");
  });

  test("a new login replaces a corrupt file", async () => {
    writeFileSync(join(dir, ".credentials.json"), "garbage");
    await store.write(dir, fullBlob());
    expect(await store.read(dir)).toEqual(fullBlob());
  });

  test("a null subscriptionType is accepted and written back as null", async () => {
    const blob = {
      claudeAiOauth: { accessToken: "sk-ant-oat01-x", subscriptionType: null, rateLimitTier: null },
    };
    writeFileSync(join(dir, ".credentials.json"), JSON.stringify(blob));
    const read = await store.read(dir);
    expect(read).toEqual(blob);
    await store.write(dir, read!);
    expect(readFileSync(join(dir, ".credentials.json"), "utf8")).toBe(JSON.stringify(blob));
  });

  test("locate is pure and names the file", () => {
    const ghost = join(dir, "never-created");
    expect(locateCredentialFile(ghost)).toEqual({
      kind: "file",
      path: join(ghost, ".credentials.json"),
      description: `File ${join(ghost, ".credentials.json")}`,
    });
    expect(store.locate(ghost)).toEqual(locateCredentialFile(ghost));
    expect(credentialsFilePath("/x/")).toBe("/x/.credentials.json");
    expect(() => credentialsFilePath("relative/dir")).toThrow(CcpError);
  });
});

describe("file store: a .credentials.json that is a symlink", () => {
  test("a link into plain claude's own credential is refused, and that file is left untouched", async () => {
    const base = join(process.env.HOME as string, ".claude");
    mkdirSync(base, { recursive: true });
    const baseCredential = join(base, ".credentials.json");
    const existed = (() => {
      try {
        return readFileSync(baseCredential);
      } catch {
        return undefined;
      }
    })();
    if (existed === undefined) writeFileSync(baseCredential, JSON.stringify(fullBlob()), { mode: 0o600 });
    const before = readFileSync(baseCredential);
    symlinkSync(baseCredential, join(dir, ".credentials.json"));
    await expect(store.write(dir, fullBlob())).rejects.toThrow(/plain claude's own credential/);
    expect(readFileSync(baseCredential)).toEqual(before);
    expect(readdirSync(base).filter((n) => n.includes(".tmp"))).toEqual([]);
    if (existed === undefined) rmSync(baseCredential);
  });
});
