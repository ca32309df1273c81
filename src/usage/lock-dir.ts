import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { readRegularFileBounded } from "../fs/safe-path.ts";

export const LOCK_PID_FILE = "pid";

export interface LockDirOptions {
  /** The lock directory; created with mkdir, which is atomic. */
  path: string;
  /** A lock whose mtime is older than this is abandoned and may be taken over. */
  staleMs: number;
  /** How long to keep retrying a held lock before giving up. */
  waitMs: number;
  /** Write `<path>/pid` and treat a lock whose pid is dead as abandoned (cc-pool's own locks). */
  pidFile?: boolean;
  /** Create missing parent directories (0700). */
  createParents?: boolean;
}

export interface HeldLock {
  readonly path: string;
  release(): Promise<void>;
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(error) === "EPERM";
  }
}

async function isAbandoned(options: LockDirOptions): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(options.path)).mtimeMs;
  } catch (error) {
    // Gone already: the next mkdir decides.
    if (errnoCode(error) === "ENOENT") return false;
    throw error;
  }
  if (Date.now() - mtimeMs > options.staleMs) return true;
  if (!options.pidFile) return false;
  try {
    const pid = Number.parseInt(
      (readRegularFileBounded(join(options.path, LOCK_PID_FILE), 4096)?.toString("utf8") ?? "").split(
        /\s/,
      )[0] ?? "",
      10,
    );
    return Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid);
  } catch {
    // No pid file yet: its owner is between mkdir and writing it.
    return false;
  }
}

// Moving the abandoned lock aside first means two processes cannot both delete and re-create it:
// only one rename of the same directory succeeds.
async function removeAbandoned(path: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return;
    throw error;
  }
  await rm(aside, { recursive: true, force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes a mkdir lock, retrying for up to `waitMs` and taking over an abandoned one. Returns null
 * when it stays held. While held, the lock's mtime is refreshed so others never see it as stale.
 */
export async function acquireLockDir(options: LockDirOptions): Promise<HeldLock | null> {
  if (options.createParents) await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
  const owner = `${process.pid} ${randomBytes(8).toString("hex")}\n`;
  const deadlineMs = Date.now() + options.waitMs;
  for (;;) {
    try {
      await mkdir(options.path, { mode: 0o700 });
      break;
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
    }
    if (await isAbandoned(options)) {
      await removeAbandoned(options.path);
      continue;
    }
    if (Date.now() >= deadlineMs) return null;
    await sleep(10 + Math.random() * 30);
  }
  if (options.pidFile) {
    try {
      await writeFile(join(options.path, LOCK_PID_FILE), owner, { mode: 0o600 });
    } catch (error) {
      await rm(options.path, { recursive: true, force: true });
      throw error;
    }
  }

  const heartbeat = setInterval(
    () => {
      const nowS = Date.now() / 1000;
      utimes(options.path, nowS, nowS).catch(() => undefined);
    },
    Math.max(50, Math.floor(options.staleMs / 3)),
  );
  heartbeat.unref();
  let released = false;
  return {
    path: options.path,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if (options.pidFile) {
        // Taken over as stale meanwhile (this process stalled): the lock is someone else's now.
        let current: string | null = null;
        try {
          current = readRegularFileBounded(join(options.path, LOCK_PID_FILE), 4096)?.toString("utf8") ?? null;
        } catch {
          current = null;
        }
        if (current !== owner) return;
      }
      await rm(options.path, { recursive: true, force: true });
    },
  };
}
