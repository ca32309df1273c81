// The waiting half of `ccp run`, kept small. Choosing an account loads SQLite, the scorer and the
// overlay code, and a process that has touched all that stays at ~40 MB resident for as long as
// claude runs. So once the choice is made, `ccp run` hands over: it re-executes this same binary
// with execve (same pid, so the session row, the terminal's process group and the parent shell see
// no change) and the fresh image, which loads only this module, starts claude, forwards signals and
// waits. Once claude has exited, afterClaude() in launch.ts is the one post-exit call site; it may
// import whatever it needs then.
//
// Nothing may be imported here at load: every module costs resident memory for claude's whole
// session (node:os alone ~0.6 MB), so even signal numbers are looked up after claude has exited.

export const HANDOFF_VAR = "CCP_SHIM_HANDOFF";

/**
 * Every catchable signal whose default would end the shim while claude kept running (orphaned, its
 * session row open). Sent to the shim alone, it goes on to claude; the shim keeps waiting and still
 * closes the row. SIGINT is ignored instead: the terminal already delivers Ctrl-C to claude, and a
 * forwarded copy would count as a second press. Job control (TSTP/TTIN/TTOU/CONT), WINCH and the
 * synchronous faults keep their defaults. Names this platform lacks (SIGINFO on Linux) are skipped.
 */
export const FORWARDED_SIGNALS = [
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
  "SIGALRM",
  "SIGVTALRM",
  "SIGPROF",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGIO",
  "SIGINFO",
  "SIGEMT",
] as const;
/**
 * Ignored while claude runs. SIGPWR too: Bun 1.4.5 accepts a listener for it but never calls it
 * (measured), so it cannot be forwarded; the listener still keeps it from killing the shim.
 */
export const IGNORED_SIGNALS = ["SIGINT", "SIGPWR"] as const;

/** What the waiting image needs; it travels in HANDOFF_VAR and never reaches claude. */
export interface Handoff {
  /** The pid that wrote it: execve keeps the pid, so a stale inherited value is recognised. */
  pid: number;
  sessionId: number;
  accountId: number;
  /** The account dir, for the check-in write-back of settings the session changed. */
  configDir: string;
  cwd: string;
  bin: string;
  args: string[];
  /** Variables claude gets on top of (or instead of) this process's own. */
  childVars: Record<string, string>;
  /** Variables of ours that claude must not get. */
  childUnset: string[];
}

export class SpawnError extends Error {
  constructor(
    readonly bin: string,
    cause: unknown,
  ) {
    super(`Could not start ${bin}: ${(cause as Error)?.message ?? String(cause)}.`);
  }
}

async function exitCodeOf(proc: {
  exitCode: number | null;
  signalCode: NodeJS.Signals | number | null;
}): Promise<number> {
  if (proc.exitCode !== null) return proc.exitCode;
  if (typeof proc.signalCode === "number") return 128 + proc.signalCode;
  const { constants } = await import("node:os");
  return 128 + ((constants.signals as Record<string, number>)[proc.signalCode ?? ""] ?? 1);
}

/** process.on, skipping a signal name this platform does not have. */
function listen(signal: string, handler: () => void): boolean {
  try {
    process.on(signal as NodeJS.Signals, handler);
    return true;
  } catch {
    return false;
  }
}

/** The shim proper: the terminal is inherited; Ctrl-C reaches claude directly, we keep waiting. */
export async function spawnAndWait(
  bin: string,
  args: string[],
  childEnv: Record<string, string>,
  cwd: string,
): Promise<number> {
  const ignore = (): void => {};
  const ignored = IGNORED_SIGNALS.filter((signal) => listen(signal, ignore));
  const unignore = (): void => {
    for (const signal of ignored) process.off(signal as NodeJS.Signals, ignore);
  };
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn([bin, ...args], { env: childEnv, cwd, stdio: ["inherit", "inherit", "inherit"] });
  } catch (error) {
    unignore();
    throw new SpawnError(bin, error);
  }
  const forwarders = FORWARDED_SIGNALS.flatMap((signal) => {
    const handler = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.kill(signal as NodeJS.Signals);
      } catch {
        // a name Bun cannot send on this platform
      }
    };
    return listen(signal, handler) ? [[signal as NodeJS.Signals, handler] as const] : [];
  });
  try {
    await child.exited;
    return await exitCodeOf(child);
  } finally {
    unignore();
    for (const [signal, handler] of forwarders) process.off(signal, handler);
  }
}

/** The argv that starts this same cc-pool again: the binary, or bun and the entry script. */
function selfArgv(): string[] {
  const script = Bun.main;
  const compiled = script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/");
  return compiled
    ? [process.argv0 || process.execPath, ...process.argv.slice(2)]
    : [process.execPath, script, ...process.argv.slice(2)];
}

/**
 * Replaces this process with a fresh image of cc-pool that waits for claude. Returns only when
 * that is impossible here (no execve, or it failed): the caller then waits in-process.
 */
export function handOff(handoff: Handoff, ownEnv: Record<string, string | undefined>): void {
  const execve = (
    process as { execve?: (file: string, args: string[], env: Record<string, string>) => never }
  ).execve;
  if (typeof execve !== "function") return;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ownEnv)) if (v !== undefined) env[k] = v;
  env[HANDOFF_VAR] = JSON.stringify(handoff);
  try {
    execve.call(process, process.execPath, selfArgv(), env);
  } catch {
    // E2BIG or the like: wait in this process instead.
  }
}

function parseHandoff(raw: string): Handoff | undefined {
  try {
    const h = JSON.parse(raw) as Partial<Handoff>;
    const ok =
      h.pid === process.pid &&
      Number.isInteger(h.sessionId) &&
      Number.isInteger(h.accountId) &&
      typeof h.configDir === "string" &&
      typeof h.cwd === "string" &&
      typeof h.bin === "string" &&
      Array.isArray(h.args) &&
      h.args.every((a) => typeof a === "string") &&
      typeof h.childVars === "object" &&
      h.childVars !== null &&
      Array.isArray(h.childUnset);
    return ok ? (h as Handoff) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Entry of the waiting image (cli.ts calls it when HANDOFF_VAR is set). Returns undefined when the
 * variable was not written for this process (inherited or forged): the command then runs normally.
 */
export async function runHandedOff(): Promise<number | undefined> {
  const raw = process.env[HANDOFF_VAR] ?? "";
  delete process.env[HANDOFF_VAR];
  const handoff = parseHandoff(raw);
  if (!handoff) return undefined;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  for (const k of handoff.childUnset) delete childEnv[k];
  Object.assign(childEnv, handoff.childVars);
  let exitCode: number | null = null;
  try {
    exitCode = await spawnAndWait(handoff.bin, handoff.args, childEnv, handoff.cwd);
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    const { writeErr } = await import("../ui/output.ts");
    writeErr(`✖ ${error.message}\n  Check CCP_CLAUDE_BIN or your PATH.\n`);
  }
  // Claude has exited: from here on, heavier code may load.
  const [{ afterClaude }, { env }] = await Promise.all([import("./launch.ts"), import("../env.ts")]);
  let continued: number | null = null;
  try {
    // A session continued on another account (continue.ts) ends with that session's status.
    continued = await afterClaude(env(), handoff, exitCode);
  } catch (error) {
    const { writeErr } = await import("../ui/output.ts");
    writeErr(`✖ Could not record the end of the session: ${(error as Error)?.message ?? String(error)}\n`);
  }
  return continued ?? exitCode ?? 127;
}
