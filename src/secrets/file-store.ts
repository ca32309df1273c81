import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, lstat, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { CcpError } from "../errors.ts";
import { CREDENTIAL_MAX_BYTES, assertAccountDir, readRegularFileBounded } from "../fs/safe-path.ts";
import { parseBlob, serializeBlob } from "./blob.ts";
import { assertConfigDir } from "./config-dir.ts";
import type { CredentialBlob, CredentialLocation, CredentialStore } from "./types.ts";

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

async function readCredentialFile(path: string): Promise<CredentialBlob | undefined> {
  let bytes: Buffer | undefined;
  try {
    // A link here could lead to another account's login or the base one: never followed.
    if ((await lstat(path)).isSymbolicLink()) {
      throw new CcpError("unsafe-path", `${path} is a symbolic link; cc-pool never follows it.`, {
        hint: "Move the link aside and log the account in again (`ccp doctor` shows the command).",
      });
    }
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
 * Replaces the file atomically: a temp file in the same dir (same filesystem, so rename is atomic),
 * fsynced before the rename, so a reader or a crash sees either the old blob or the new one.
 */
async function writeCredentialFile(path: string, dir: string, data: string): Promise<void> {
  const tempPath = join(dir, `${CREDENTIALS_FILE_NAME}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let renamed = false;
  try {
    const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      // The umask cannot widen 0600, but a restrictive one could narrow it: set it explicitly.
      await handle.chmod(0o600);
      await handle.writeFile(data, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
    renamed = true;
  } catch (error) {
    throw ioError("write", path, error);
  } finally {
    if (!renamed) await unlink(tempPath).catch(() => undefined);
  }
  await syncDir(dir);
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
  const pathFor = (configDir: string): string => {
    const path = credentialsFilePath(configDir);
    if (options.accountsDir !== undefined) assertAccountDir(options.accountsDir, configDir);
    return path;
  };
  return {
    kind: "file",
    locate: locateCredentialFile,
    async exists(configDir: string): Promise<boolean> {
      const path = pathFor(configDir);
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
      return readCredentialFile(pathFor(configDir));
    },
    async write(configDir: string, blob: CredentialBlob): Promise<void> {
      const path = pathFor(configDir);
      await writeCredentialFile(path, configDir, serializeBlob(blob, path));
    },
    async delete(configDir: string): Promise<void> {
      const path = pathFor(configDir);
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
