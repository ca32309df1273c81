/** Exit codes shared by every command. `run` returns claude's own status instead. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

export type CcpErrorCode =
  | "usage"
  | "unknown-account"
  | "bad-env"
  | "db-corrupt"
  | "db-newer"
  | "db-io"
  | "credential"
  | "keychain-locked"
  | "claude-missing"
  | "no-accounts"
  | "no-tty"
  | "cancelled"
  | "network"
  | "conflict"
  | "unsafe-path"
  | "disk"
  | "failure";

export interface CcpErrorOptions {
  /** What the user should do next; printed under the message. */
  hint?: string;
  exitCode?: number;
  cause?: unknown;
}

/** The one error type of cc-pool: a message written as advice, and the exit code it maps to. */
export class CcpError extends Error {
  readonly code: CcpErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: CcpErrorCode, message: string, options: CcpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CcpError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? defaultExitCode(code);
  }
}

function defaultExitCode(code: CcpErrorCode): number {
  switch (code) {
    case "usage":
    case "unknown-account":
    case "bad-env":
      return EXIT_USAGE;
    case "cancelled":
      return EXIT_CANCELLED;
    default:
      return EXIT_FAILURE;
  }
}

export function usageError(message: string, hint?: string): CcpError {
  return new CcpError("usage", message, { hint });
}

export function isCcpError(value: unknown): value is CcpError {
  return value instanceof CcpError;
}

const DISK_PROBLEMS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EIO: "the disk reported an I/O error (often: it is full)",
  EROFS: "the filesystem is read-only",
  SQLITE_FULL: "the disk is full",
  SQLITE_IOERR: "the disk reported an I/O error (often: it is full)",
  SQLITE_READONLY: "the database file is read-only",
};

/**
 * A disk failure (full, I/O error, read-only) from fs or SQLite as an error that names the file
 * and what to do; undefined for any other error. `fallbackPath` names the file when the error
 * carries none (SQLite errors, writes to an open file).
 */
export function diskError(error: unknown, fallbackPath?: string): CcpError | undefined {
  if (!(error instanceof Error)) return undefined;
  const raw = (error as { code?: unknown }).code;
  let code = typeof raw === "string" ? raw.replace(/^(SQLITE_[A-Z]+?)(_[A-Z_]+)?$/, "$1") : "";
  if (code === "" || !(code in DISK_PROBLEMS)) {
    if (/database or disk is full/i.test(error.message)) code = "SQLITE_FULL";
    else if (/disk I\/O error/i.test(error.message)) code = "SQLITE_IOERR";
    else return undefined;
  }
  const path = (error as { path?: unknown }).path;
  const file = typeof path === "string" ? path : fallbackPath;
  return new CcpError(
    "disk",
    `Cannot use ${file ?? "a file cc-pool needs"}: ${DISK_PROBLEMS[code]} (${code}).`,
    {
      hint: `Free some space on that disk (check it with \`df -h\`), then run the command again${file?.endsWith(".db") ? "; SQLite kept the database as it was before the failed write" : ""}.`,
      cause: error,
    },
  );
}
