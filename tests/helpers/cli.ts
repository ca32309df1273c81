import { mkdirSync, mkdtempSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const CLI_ENTRY = join(REPO_ROOT, "src/cli.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  /** Run this executable instead of `bun src/cli.ts`. */
  bin?: string;
  timeoutMs?: number;
}

/** A fresh temp dir under the test process's private root (see tests/setup.ts). */
export function tempDir(prefix = "t-"): string {
  const root = process.env.CCP_TEST_ROOT as string;
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, prefix));
}

/** The sanitized test environment (preload already stripped secrets and pointed HOME away). */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined) out[k] = v;
  return out;
}

/** Runs ccp as a separate process and collects its output. Always reaps the child. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const cmd = options.bin ? [options.bin, ...args] : [process.execPath, CLI_ENTRY, ...args];
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? tempDir("cwd-"),
    env: baseEnv(options.env),
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  return collectOutput(proc, options.timeoutMs ?? 30_000);
}

/** Waits for a spawned child (stdout and stderr piped), killing it after `timeoutMs`. Always reaps it. */
export async function collectOutput(
  proc: {
    stdout: ReadableStream<Uint8Array>;
    stderr: ReadableStream<Uint8Array>;
    exited: Promise<number>;
    exitCode: number | null;
    kill(signal?: number | NodeJS.Signals): void;
  },
  timeoutMs: number,
): Promise<CliResult> {
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  }
}
