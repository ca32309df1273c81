import { Database } from "bun:sqlite";
import { dirname } from "../fs/posix-path.ts";
import { CcpError, diskError } from "../errors.ts";
import {
  type PathFacts,
  assertOwnedByMe,
  describeKind,
  isDirectory,
  isRegularFile,
  isSymlink,
  lstatPath,
  nodeFs,
  statPath,
} from "../fs/probe.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.ts";

export type Db = Database;

const BUSY_TIMEOUT_MS = 10_000;

export interface OpenDbOptions {
  /** Refuse to create the file when it does not exist (returns undefined instead). */
  mustExist?: boolean;
}

export interface PrivateDirOptions {
  /** A symlink to a directory is accepted (CCP_HOME kept on another disk); refused otherwise. */
  allowLink?: boolean;
}

/**
 * Creates `dir` (and parents) with mode 0700. A dir that already exists is never chmod'ed: it may
 * be shared (`/tmp`, a project folder); one that another user owns is refused. Returns a warning
 * when the existing dir is writable by others, for the caller to show.
 */
export function ensurePrivateDir(dir: string, options: PrivateDirOptions = {}): string | undefined {
  let existing: PathFacts | undefined;
  try {
    existing = lstatPath(dir);
    if (existing === undefined) {
      // Only a first run creates it: node:fs is loaded for that alone.
      const { chmodSync, mkdirSync } = nodeFs();
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // The umask may have narrowed the mode, never widened it: set exactly 0700 on what we made.
      chmodSync(dir, 0o700);
      return undefined;
    }
  } catch (cause) {
    throw new CcpError("db-io", `Cannot create ${dir}: ${(cause as Error).message}.`, {
      hint: "Check the permissions of its parent folder, or point CCP_HOME somewhere writable.",
      cause,
    });
  }
  if (isSymlink(existing)) {
    if (!options.allowLink) {
      throw new CcpError("unsafe-path", `${dir} is a symbolic link; cc-pool does not follow it.`, {
        hint: "Move the link aside and run the command again; cc-pool creates a real folder there.",
      });
    }
    existing = statPath(dir);
    if (existing === undefined) {
      throw new CcpError("db-io", `${dir} is a symbolic link to nothing.`, {
        hint: "Point the link at a directory, or move it aside and run the command again.",
      });
    }
  }
  if (!isDirectory(existing)) {
    throw new CcpError("db-io", `${dir} exists but is ${describeKind(existing)}, not a directory.`, {
      hint: "Move it aside, or point CCP_HOME at a directory.",
    });
  }
  assertOwnedByMe(dir, existing);
  if ((existing.mode & 0o022) !== 0) {
    const mode = (existing.mode & 0o777).toString(8);
    return `${dir} is writable by other users (mode ${mode}); cc-pool leaves it as it is. Run \`chmod 700 ${dir}\`, or point CCP_HOME at a private folder.`;
  }
  return undefined;
}

function corrupt(path: string, detail: string, cause?: unknown): CcpError {
  return new CcpError("db-corrupt", `The cc-pool database ${path} is not readable (${detail}).`, {
    hint: `Run \`ccp doctor\` for details. cc-pool leaves the file as it is; move it aside to start a fresh pool.`,
    cause,
  });
}

/**
 * Refuses a database path that is not a plain file of ours: a symlink would have cc-pool write
 * its tables into whatever it points at, and a FIFO would hang the open.
 */
export function assertPlainDbFile(path: string): PathFacts | undefined {
  const main = lstatPath(path);
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const stats = file === path ? main : lstatPath(file);
    if (stats === undefined || isRegularFile(stats)) continue;
    throw new CcpError(
      "db-io",
      `The cc-pool database file ${file} is ${describeKind(stats)}; cc-pool does not open it.`,
      {
        hint: `Move ${file} aside (a pool database is a regular file), then run the command again.`,
      },
    );
  }
  return main;
}

function isSqliteCorruption(error: unknown): boolean {
  const msg = String((error as Error)?.message ?? error);
  return /malformed|not a database|file is encrypted|SQLITE_CORRUPT|SQLITE_NOTADB|disk image/i.test(msg);
}

/**
 * Opens the pool database, creating and migrating it when needed. A newer schema or a damaged
 * file is refused with a clear error and left untouched.
 */
export function openDb(path: string, options: OpenDbOptions = {}): Db {
  // SQLite itself tells a file that is not a database (SQLITE_NOTADB, reported below) before it
  // writes anything; what must be refused before it opens the file is anything but a plain file.
  const exists = assertPlainDbFile(path) !== undefined;
  if (!exists && options.mustExist) {
    throw new CcpError("no-accounts", "No pool yet.", { hint: "Run `ccp add` to add your first account." });
  }
  if (!exists) ensurePrivateDir(dirname(path));
  let db: Database;
  try {
    db = new Database(path, { create: true, strict: true });
  } catch (cause) {
    throw new CcpError("db-io", `Cannot open the cc-pool database ${path}: ${(cause as Error).message}.`, {
      hint: "Check that the folder is writable, or run `ccp doctor`.",
      cause,
    });
  }
  try {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
    if (version > SCHEMA_VERSION) {
      throw new CcpError(
        "db-newer",
        `The cc-pool database ${path} was written by a newer cc-pool (schema ${version}; this one knows ${SCHEMA_VERSION}).`,
        { hint: "Upgrade cc-pool (`brew upgrade cc-pool`); the database was not changed." },
      );
    }
    if (!exists) nodeFs().chmodSync(path, 0o600);
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    if (version < SCHEMA_VERSION) migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof CcpError) throw error;
    if (isSqliteCorruption(error)) {
      const message = (error as Error).message;
      throw corrupt(path, /not a database/i.test(message) ? "not an SQLite database" : message, error);
    }
    const disk = diskError(error, path);
    if (disk) throw disk;
    throw new CcpError("db-io", `Cannot use the cc-pool database ${path}: ${(error as Error).message}.`, {
      hint: "Run `ccp doctor` for details.",
      cause: error,
    });
  }
}

function migrate(db: Database, path: string): void {
  immediate(db, () => {
    // Re-read inside the write lock: a concurrent first open may have migrated already.
    const current = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new CcpError("db-newer", `The cc-pool database ${path} was written by a newer cc-pool.`, {
        hint: "Upgrade cc-pool; the database was not changed.",
      });
    }
    for (let i = current; i < SCHEMA_VERSION; i++) db.run(MIGRATIONS[i] as string);
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}

/**
 * `BEGIN IMMEDIATE` … `COMMIT` around `fn`, a savepoint when a transaction is already open. What
 * `Database.transaction(fn).immediate()` does, without its set-up: it prepares a dozen statements
 * (every kind of BEGIN, savepoints) on first use, a third of a short command's SQLite work.
 */
function immediate<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) {
    db.run("SAVEPOINT ccp_nested");
    try {
      const result = fn();
      db.run("RELEASE ccp_nested");
      return result;
    } catch (error) {
      db.run("ROLLBACK TO ccp_nested");
      db.run("RELEASE ccp_nested");
      throw error;
    }
  }
  db.run("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.run("COMMIT");
    return result;
  } catch (error) {
    // A failed COMMIT may have ended the transaction already; anything else is undone here.
    if (db.inTransaction) db.run("ROLLBACK");
    throw error;
  }
}

function isBusyError(error: unknown): boolean {
  return /database is locked|SQLITE_BUSY/i.test(String((error as Error)?.message ?? error));
}

/**
 * Runs `fn` in an IMMEDIATE write transaction (deferred ones fail under concurrency). When another
 * process keeps the database write-locked past the busy timeout, the error says so plainly (its
 * message still contains "database is locked", which callers that wait it out look for).
 */
export function writeTx<T>(db: Db, fn: () => T): T {
  try {
    return immediate(db, fn);
  } catch (error) {
    if (!isBusyError(error) || error instanceof CcpError) throw error;
    throw new CcpError(
      "db-io",
      `The cc-pool database is locked by another process (${db.filename}; waited ${BUSY_TIMEOUT_MS / 1000} s).`,
      {
        hint: "Something holds pool.db open for writing (a `sqlite3` shell, a backup or sync tool?). Close it and try again.",
        cause: error,
      },
    );
  }
}
