import { constants } from "node:fs";
import {
  type FileHandle,
  lstat,
  open,
  readFile,
  readdir,
  readlink,
  realpath,
  rename,
  unlink,
} from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { CcpError } from "../errors.ts";
import { CREDENTIAL_MAX_BYTES, assertAccountDir, readRegularFileBounded } from "../fs/safe-path.ts";
import { parseBlob, serializeBlob } from "./blob.ts";
import { assertConfigDir } from "./config-dir.ts";
import { faultPoint } from "./fault-points.ts";
import type {
  CredentialBlob,
  CredentialLeftover,
  CredentialLocation,
  CredentialStore,
  PreparedWrite,
} from "./types.ts";

export const CREDENTIALS_FILE_NAME = ".credentials.json";

/** `<configDir>/.credentials.json`, where Claude Code keeps the credential off macOS. */
export function credentialsFilePath(configDir: string): string {
  assertConfigDir(configDir);
  return join(configDir, CREDENTIALS_FILE_NAME);
}

/** Where the file store keeps a config dir's credential. Pure: no IO. */
export function locateCredentialFile(configDir: string): CredentialLocation {
  const path = credentialsFilePath(configDir);
  return { kind: "file", path, description: `File ${path}` };
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

function ioError(action: string, path: string, error: unknown): CcpError {
  const code = errnoCode(error) ?? "unknown error";
  return new CcpError("credential", `Cannot ${action} ${path} (${code}).`, {
    hint: "Check that the account dir exists and belongs to you, with permission to read and write it.",
    cause: error,
  });
}

/**
 * Reads the blob where `writeTarget` says it lives (a link is resolved, never into plain claude's
 * own credential), and only from a regular file of a credential's size: a FIFO planted there must
 * not hang the read.
 */
async function readCredentialFile(configDir: string): Promise<CredentialBlob | undefined> {
  const { path } = await writeTarget(configDir);
  let bytes: Buffer | undefined;
  try {
    bytes = readRegularFileBounded(path, CREDENTIAL_MAX_BYTES);
  } catch (error) {
    if (error instanceof CcpError) throw error;
    // ENOTDIR: a path component is a file, so the credential cannot exist either.
    const code = errnoCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw ioError("read", path, error);
  }
  if (bytes === undefined) return undefined;
  return parseBlob(bytes.toString("utf8"), path);
}

/**
 * Where writes must land. A `.credentials.json` that is a symlink is written through: the temp
 * file goes next to the link's target and is renamed over the target, so the link keeps working
 * and the target never keeps a spent refresh token. A link into plain claude's own credential is
 * refused: cc-pool never writes it.
 */
async function writeTarget(configDir: string): Promise<{ path: string; dir: string }> {
  const path = credentialsFilePath(configDir);
  let target = path;
  try {
    if ((await lstat(path)).isSymbolicLink()) {
      const link = await readlink(path);
      target = isAbsolute(link) ? link : resolve(configDir, link);
      target = await realpath(target).catch(() => target);
    }
  } catch (error) {
    const code = errnoCode(error);
    if (code !== "ENOENT" && code !== "ENOTDIR") throw ioError("check", path, error);
  }
  // HOME as the process sees it now (os.homedir() may not follow a changed HOME).
  const base = join(process.env.HOME || homedir(), ".claude", CREDENTIALS_FILE_NAME);
  if (target !== path && (target === base || (await realpath(base).catch(() => base)) === target)) {
    throw new CcpError("credential", `${path} is a link to plain claude's own credential (${base}).`, {
      hint: "cc-pool never writes that file. Remove the link and log the account in on its own (`ccp add`).",
    });
  }
  return { path: target, dir: dirname(target) };
}

function tempPathFor(target: string): string {
  // Web Crypto, not node:crypto: loading that costs ~3 ms on `ccp run`'s path before claude starts.
  return join(
    dirname(target),
    `${basename(target)}.${process.pid}.${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex")}.tmp`,
  );
}

const OUR_TEMP = /^(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;
// Claude Code's own temp names for the same file (`.credentials.json.tmp.<...>`).
const CLAUDE_TEMP = /^(.+)\.tmp\.[\w.-]+$/;

/**
 * Writes all of `data` at offset 0. A full disk may make write() return short without an error:
 * that is turned into ENOSPC instead of a silently truncated file.
 */
async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, done);
    if (bytesWritten <= 0) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    done += bytesWritten;
  }
}

/**
 * A temp file with `reserveBytes` of blanks written and fsynced: on a full disk this fails here,
 * before any token is spent, and the real blob later overwrites blocks that are already allocated.
 * The blanks are not JSON, so a crash before the commit leaves nothing a reader could mistake for
 * a credential (and no token).
 */
async function prepareFileWrite(configDir: string, reserveBytes: number): Promise<PreparedWrite> {
  const { path, dir } = await writeTarget(configDir);
  const tempPath = tempPathFor(path);
  let handle: FileHandle | undefined;
  let done = false;
  const discard = async (): Promise<void> => {
    if (done) return;
    done = true;
    await handle?.close().catch(() => undefined);
    handle = undefined;
    await unlink(tempPath).catch(() => undefined);
  };
  try {
    handle = await open(tempPath, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    // The umask cannot widen 0600, but a restrictive one could narrow it: set it explicitly.
    await handle.chmod(0o600);
    await writeFully(handle, Buffer.alloc(Math.max(1024, reserveBytes), 0x20));
    await handle.sync();
  } catch (error) {
    await discard();
    throw ioError("write", path, error);
  }
  let staged = false;
  return {
    async stage(blob: CredentialBlob): Promise<void> {
      if (done || !handle) throw new Error("stage after discard");
      const data = Buffer.from(serializeBlob(blob, path), "utf8");
      try {
        await writeFully(handle, data);
        await handle.truncate(data.length);
        await handle.sync();
        // Read back before it can replace anything: a short or failed write must never be renamed
        // over a good credential.
        const back = Buffer.alloc(data.length + 1);
        const { bytesRead } = await handle.read(back, 0, back.length, 0);
        if (bytesRead !== data.length || !back.subarray(0, bytesRead).equals(data))
          throw Object.assign(new Error("the staged credential did not read back intact"), { code: "EIO" });
        await handle.close();
        handle = undefined;
        staged = true;
      } catch (error) {
        await discard();
        throw ioError("write", path, error);
      }
      await faultPoint("after-temp-write");
    },
    async commit(): Promise<void> {
      if (done || !staged) throw new Error("commit without a staged blob");
      try {
        await rename(tempPath, path);
        done = true;
      } catch (error) {
        await discard();
        throw ioError("write", path, error);
      }
      await syncDir(dir);
      await faultPoint("after-rename");
    },
    discard,
  };
}

/**
 * Replaces the file atomically: a temp file in the same dir (same filesystem, so rename is atomic),
 * fsynced before the rename, so a reader or a crash sees either the old blob or the new one.
 */
async function writeCredentialFile(configDir: string, blob: CredentialBlob): Promise<void> {
  const { path } = await writeTarget(configDir);
  const data = serializeBlob(blob, path);
  const prepared = await prepareFileWrite(configDir, Buffer.byteLength(data));
  await prepared.stage(blob);
  await prepared.commit();
}

async function listLeftovers(configDir: string): Promise<CredentialLeftover[]> {
  const { path, dir } = await writeTarget(configDir);
  const name = basename(path);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw ioError("list", dir, error);
  }
  const out: CredentialLeftover[] = [];
  for (const entry of entries) {
    const ours = OUR_TEMP.exec(entry);
    const theirs = ours ? null : CLAUDE_TEMP.exec(entry);
    if ((ours?.[1] ?? theirs?.[1]) !== name) continue;
    const full = join(dir, entry);
    let mtimeMs: number;
    try {
      const st = await lstat(full);
      if (!st.isFile()) continue;
      mtimeMs = st.mtimeMs;
    } catch {
      continue;
    }
    let blob: CredentialBlob | undefined;
    try {
      const text = await readFile(full, "utf8");
      blob = text.trim() === "" ? undefined : parseBlob(text, full);
    } catch {
      blob = undefined;
    }
    out.push({ path: full, pid: ours ? Number(ours[2]) : null, mtimeMs, blob });
  }
  return out;
}

// Makes the rename itself durable. Best effort: some filesystems refuse fsync on a directory.
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is already safe in the file; only the directory entry's durability is at stake.
  }
}

export interface FileStoreOptions {
  /**
   * CCP_HOME/accounts: when given, every config dir must be a real directory directly inside it
   * (a symlinked account dir could lead to `~/.claude` and its base credential).
   */
  accountsDir?: string;
}

/** The Linux/Windows credential store: `<configDir>/.credentials.json`, mode 0600. */
export function createFileStore(options: FileStoreOptions = {}): CredentialStore {
  const checked = (configDir: string): string => {
    if (options.accountsDir !== undefined) assertAccountDir(options.accountsDir, configDir);
    return configDir;
  };
  return {
    kind: "file",
    locate: locateCredentialFile,
    async exists(configDir: string): Promise<boolean> {
      const path = credentialsFilePath(checked(configDir));
      try {
        const stats = await lstat(path);
        // A link counts as present so that reading it reports the problem instead of "no login".
        return stats.isFile() || stats.isSymbolicLink();
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT" || code === "ENOTDIR") return false;
        throw ioError("check", path, error);
      }
    },
    async read(configDir: string): Promise<CredentialBlob | undefined> {
      return readCredentialFile(checked(configDir));
    },
    async write(configDir: string, blob: CredentialBlob): Promise<void> {
      await writeCredentialFile(checked(configDir), blob);
    },
    prepareWrite: (configDir: string, reserveBytes: number) =>
      prepareFileWrite(checked(configDir), reserveBytes),
    leftovers: (configDir: string) => listLeftovers(checked(configDir)),
    async adoptLeftover(configDir: string, leftover: CredentialLeftover): Promise<void> {
      const { path, dir } = await writeTarget(checked(configDir));
      if (dirname(leftover.path) !== dir) throw new Error("leftover from another dir");
      try {
        await rename(leftover.path, path);
      } catch (error) {
        throw ioError("recover", path, error);
      }
      await syncDir(dir);
    },
    async removeLeftover(leftover: CredentialLeftover): Promise<void> {
      try {
        await unlink(leftover.path);
      } catch (error) {
        if (errnoCode(error) !== "ENOENT") throw ioError("remove", leftover.path, error);
      }
    },
    async delete(configDir: string): Promise<void> {
      const path = credentialsFilePath(checked(configDir));
      try {
        await unlink(path);
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT" || code === "ENOTDIR") return;
        throw ioError("delete", path, error);
      }
    },
  };
}
