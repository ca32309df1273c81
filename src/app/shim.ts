// The waiting half of `ccp run`: starts claude with the terminal inherited, forwards signals and
// returns claude's status. Once claude runs, the pages that choosing the account loaded are handed
// back (release-memory.ts), so the shim stays small for the whole session; afterClaude() in
// launch.ts is the one post-exit call site.
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
  // claude is running: from here on the shim only waits.
  void import("./release-memory.ts").then((m) => m.releaseLoadedPages()).catch(() => {});
  try {
    await child.exited;
    return await exitCodeOf(child);
  } finally {
    unignore();
    for (const [signal, handler] of forwarders) process.off(signal, handler);
  }
}
