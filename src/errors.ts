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
