import { CcpError } from "../errors.ts";

export interface SecurityToolResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: string;
}

export interface SecurityToolRun {
  bin: string;
  args: readonly string[];
  /** Written to the tool's stdin (for `security -i`); stdin is closed when absent. */
  stdin?: string;
  timeoutMs: number;
  /** Names the item in errors; never a secret. */
  service: string;
}

// `security` exits with the low byte of the OSStatus that failed.
export const TOOL_EXIT_ITEM_NOT_FOUND = 44; // errSecItemNotFound -25300
export const TOOL_EXIT_INTERACTION_NOT_ALLOWED = 36; // errSecInteractionNotAllowed -25308
export const TOOL_EXIT_AUTH_FAILED = 51; // errSecAuthFailed -25293
export const TOOL_EXIT_USER_CANCELED = 128; // userCanceledErr -128

/** Removes anything token-shaped from tool output before it reaches an error message. */
export function redactToolOutput(text: string): string {
  const firstLine = text.trim().split("\n")[0] ?? "";
  return firstLine
    .replace(/sk-ant-[A-Za-z0-9_-]+/g, "[redacted]")
    .replace(/[0-9a-fA-F]{32,}/g, "[redacted]")
    .replace(/[A-Za-z0-9_+/=-]{48,}/g, "[redacted]")
    .slice(0, 200);
}

/**
 * Runs the `security` tool with a hard deadline: a Keychain that wants to show a dialog (locked
 * keychain, access prompt) must give a background process an error, never a hang.
 */
export async function runSecurityTool(run: SecurityToolRun): Promise<SecurityToolResult> {
  let proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  try {
    proc = Bun.spawn([run.bin, ...run.args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    throw new CcpError("credential", `Cannot run the Keychain tool ${run.bin}.`, {
      hint: "Check that it exists and is executable (CCP_SECURITY_BIN overrides the default /usr/bin/security).",
      cause: error,
    });
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, run.timeoutMs);
  try {
    try {
      if (run.stdin !== undefined) proc.stdin.write(run.stdin);
      await proc.stdin.end();
    } catch {
      // The tool exited before reading its input; its exit status tells what went wrong.
    }
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).arrayBuffer(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (timedOut) {
      throw new CcpError(
        "credential",
        `The Keychain tool did not answer within ${Math.round(run.timeoutMs / 1000)} s for "${run.service}".`,
        {
          hint: "The keychain may be locked or waiting for a dialog. Unlock it (log in to the Mac or run `security unlock-keychain`) and try again.",
        },
      );
    }
    return { exitCode, stdout: new Uint8Array(stdout), stderr };
  } finally {
    clearTimeout(timer);
  }
}
