import { readlinkSync } from "node:fs";
import { mkdir, realpath, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
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
  /** How often a held lock's mtime is refreshed; default staleMs / 3. */
  updateMs?: number;
  /**
   * Extra abandonment test for a lock that is not stale by mtime yet (e.g. Claude Code's owner
   * record naming a dead process). Returning true lets the lock be taken over.
   */
  isDeadHolder?: (path: string) => Promise<boolean>;
}

export interface HeldLock {
  readonly path: string;
  /** The lock dir's birth time, as Claude Code's owner record names it. */
  readonly birthtimeMs: number;
  release(): Promise<void>;
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

export function isProcessAlive(pid: number): boolean {
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
  if (options.isDeadHolder && (await options.isDeadHolder(options.path).catch(() => false))) return true;
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
  // Web Crypto, not node:crypto: loading that costs ~3 ms in the compiled binary.
  const aside = `${path}.stale-${process.pid}-${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString("hex")}`;
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
  const owner = `${process.pid} ${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex")}\n`;
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
  let born: { ino: number; birthtimeMs: number };
  try {
    const st = await stat(options.path);
    born = { ino: st.ino, birthtimeMs: st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs };
    if (options.pidFile) await writeFile(join(options.path, LOCK_PID_FILE), owner, { mode: 0o600 });
  } catch (error) {
    await rm(options.path, { recursive: true, force: true });
    throw error;
  }

  const heartbeat = setInterval(
    () => {
      const nowS = Date.now() / 1000;
      utimes(options.path, nowS, nowS).catch(() => undefined);
    },
    Math.max(50, options.updateMs ?? Math.floor(options.staleMs / 3)),
  );
  heartbeat.unref();
  let released = false;
  return {
    path: options.path,
    birthtimeMs: born.birthtimeMs,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // Taken over as stale meanwhile and re-created by someone else: not ours to remove.
      const now = await stat(options.path).catch(() => null);
      if (!now || now.ino !== born.ino) return;
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

// ---------------------------------------------------------------------------------------------
// Claude Code's refresh locks (2.1.332), taken exactly the way claude takes them so that claude
// waits on cc-pool and cc-pool waits on claude:
// - `<config dir>/.oauth_refresh.lock`: a mkdir lock whose mtime the holder touches every 5 s;
//   older than 60 s means abandoned (2.1.197 used 10 s: a 60 s lock is also respected by it).
// - the legacy sibling `<realpath(config dir)>.lock`, same rules, taken second (claude gives up
//   and drops the first one when the second is held, so there is no lock-order deadlock).
// - `<config dir>/.oauth_refresh.lock.owner`: JSON naming the holder (pid, pid namespace, the
//   locks' birth times). Claude takes over a lock early only when this record proves its holder
//   gone; cc-pool writes one for itself and reads claude's the same way.
// - `<config dir>/.storage-write.lock`: claude's lock around every credential write (stale after
//   15 s). cc-pool holds it only around its compare-and-swap, so a `claude auth login` writing at
//   the same moment waits milliseconds, never fails.

export const CLAUDE_REFRESH_LOCK_NAME = ".oauth_refresh.lock";
export const CLAUDE_LOCK_OWNER_NAME = ".oauth_refresh.lock.owner";
export const CLAUDE_STORAGE_LOCK_NAME = ".storage-write.lock";
export const CLAUDE_LOCK_STALE_MS = 60_000;
export const CLAUDE_LOCK_UPDATE_MS = 5_000;
export const CLAUDE_STORAGE_LOCK_STALE_MS = 15_000;

interface OwnerRecord {
  pid: number;
  pidDomain: string;
  pidSpace: string;
  lockBirthtimeMs: number;
  legacyLockBirthtimeMs?: number;
}

/** Claude's `pidSpace`: host name plus the pid namespace, so a pid is judged only where it means something. */
export function pidSpace(): string {
  let ns = "";
  try {
    ns = readlinkSync("/proc/self/ns/pid");
  } catch {
    ns = "";
  }
  return `${hostname()}${ns === "" ? "" : `#${ns}`}`;
}

/** The sibling lock claude takes next to the config dir. */
export async function legacyLockPath(configDir: string): Promise<string> {
  const real = await realpath(configDir).catch(() => configDir);
  return `${real}.lock`;
}

async function readOwner(configDir: string): Promise<OwnerRecord | null> {
  try {
    // Bounded and never a FIFO: this runs before every refresh.
    const text = readRegularFileBounded(join(configDir, CLAUDE_LOCK_OWNER_NAME), 4096)?.toString("utf8");
    if (text === undefined) return null;
    const json = JSON.parse(text) as Partial<OwnerRecord>;
    if (!Number.isInteger(json.pid) || typeof json.lockBirthtimeMs !== "number") return null;
    return json as OwnerRecord;
  } catch {
    return null;
  }
}

/**
 * True when the owner record proves the holder of `<configDir>/.oauth_refresh.lock` gone: it names
 * this very lock (same birth time), a pid in our pid namespace, and that pid no longer exists.
 */
async function refreshLockHolderDead(
  configDir: string,
  lockPath: string,
  which: "main" | "legacy",
): Promise<boolean> {
  const owner = await readOwner(configDir);
  if (!owner || owner.pidSpace !== pidSpace()) return false;
  const named = which === "main" ? owner.lockBirthtimeMs : owner.legacyLockBirthtimeMs;
  if (typeof named !== "number") return false;
  const st = await stat(lockPath);
  const birth = st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
  if (Math.abs(birth - named) > 1) return false;
  return owner.pid > 1 && owner.pid !== process.pid && !isProcessAlive(owner.pid);
}

export interface ClaudeLocksOptions {
  configDir: string;
  waitMs: number;
  staleMs?: number;
}

export interface HeldClaudeLocks {
  release(): Promise<void>;
}

/**
 * Takes `.oauth_refresh.lock`, then the sibling lock, and writes the owner record. Returns null
 * when claude (or anyone) keeps either of them for the whole wait. Throws on IO errors (a full
 * disk, a missing dir): nothing has been spent yet, so the caller just stops.
 */
export async function acquireClaudeRefreshLocks(
  options: ClaudeLocksOptions,
): Promise<HeldClaudeLocks | null> {
  const staleMs = options.staleMs ?? CLAUDE_LOCK_STALE_MS;
  const started = Date.now();
  const mainPath = join(options.configDir, CLAUDE_REFRESH_LOCK_NAME);
  const main = await acquireLockDir({
    path: mainPath,
    staleMs,
    waitMs: options.waitMs,
    updateMs: CLAUDE_LOCK_UPDATE_MS,
    isDeadHolder: (p) => refreshLockHolderDead(options.configDir, p, "main"),
  });
  if (!main) return null;
  let legacy: HeldLock | null = null;
  try {
    legacy = await acquireLockDir({
      path: await legacyLockPath(options.configDir),
      staleMs,
      waitMs: Math.max(0, options.waitMs - (Date.now() - started)),
      updateMs: CLAUDE_LOCK_UPDATE_MS,
      isDeadHolder: (p) => refreshLockHolderDead(options.configDir, p, "legacy"),
    });
  } catch (error) {
    await main.release().catch(() => undefined);
    throw error;
  }
  if (!legacy) {
    await main.release().catch(() => undefined);
    return null;
  }
  const record: OwnerRecord = {
    pid: process.pid,
    pidDomain: "cc-pool",
    pidSpace: pidSpace(),
    lockBirthtimeMs: main.birthtimeMs,
    legacyLockBirthtimeMs: legacy.birthtimeMs,
  };
  const ownerPath = join(options.configDir, CLAUDE_LOCK_OWNER_NAME);
  try {
    await writeFile(ownerPath, JSON.stringify(record), { mode: 0o600 });
  } catch {
    // The record only lets others take over early; without it they wait for staleness.
  }
  const held = [legacy, main];
  return {
    async release(): Promise<void> {
      const current = await readOwner(options.configDir);
      if (current?.pid === process.pid && current.lockBirthtimeMs === record.lockBirthtimeMs)
        await rm(ownerPath, { force: true }).catch(() => undefined);
      for (const lock of held) await lock.release().catch(() => undefined);
    },
  };
}

/** Claude's lock around credential writes, held only for the compare-and-swap. */
export async function acquireStorageWriteLock(configDir: string, waitMs: number): Promise<HeldLock | null> {
  return acquireLockDir({
    path: join(configDir, CLAUDE_STORAGE_LOCK_NAME),
    staleMs: CLAUDE_STORAGE_LOCK_STALE_MS,
    waitMs,
  });
}
