// Messages for people go to stderr; stdout is reserved for data. Written through the output module
// so a message never builds node's stream stack (see output.ts) and a closed stderr never crashes.
// The hot path (select, env, run, status --plain, completion) uses the lean writer below; every
// other command switches to consola (useConsola, from main.ts), which adds levels and --verbose/
// DEBUG debug lines. Both print the same lines, so callers never know which one is in use.
import { colorEnabled, colors } from "./color.ts";
import { writeErr } from "./output.ts";
import { safeMessage } from "./safe-text.ts";

export interface LogBackend {
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string, hint?: string): void;
  dim(message: string): void;
  debug(message: string): void;
}

let debugEnabled = false;

function write(line: string): void {
  writeErr(`${line}\n`);
}

const lean: LogBackend = {
  info(message) {
    write(message);
  },
  success(message) {
    write(`${colors().green("✓")} ${message}`);
  },
  warn(message) {
    const c = colors();
    write(`${c.yellow(c.bold("!"))} ${c.yellow(message)}`);
  },
  error(message, hint) {
    const c = colors();
    write(`${c.red(c.bold("✖"))} ${message}`);
    if (hint) write(`  ${c.dim(hint)}`);
  },
  dim(message) {
    write(colors().dim(message));
  },
  debug(message) {
    if (debugEnabled) write(colors().dim(`· ${message}`));
  },
};

let backend: LogBackend = lean;

// Messages often carry names, emails and paths from outside: made safe for a terminal here, for
// either backend, before any colour is added.
const clean = safeMessage;

export const log: LogBackend = {
  info: (message) => backend.info(clean(message)),
  success: (message) => backend.success(clean(message)),
  warn: (message) => backend.warn(clean(message)),
  error: (message, hint) => backend.error(clean(message), hint === undefined ? undefined : clean(hint)),
  dim: (message) => backend.dim(clean(message)),
  /** Shown only with --verbose or DEBUG=1. */
  debug: (message) => backend.debug(clean(message)),
};

/** --verbose / DEBUG: debug lines are shown. */
export function setLogDebug(on: boolean): void {
  debugEnabled = on;
}

/** Routes `log` through consola (loaded now); for the commands that are not on the hot path. */
export async function useConsola(): Promise<void> {
  const { createCcpConsola, formatForTerminal, logLevel } = await import("./consola.ts");
  const consola = createCcpConsola({
    level: logLevel({ debug: debugEnabled }),
    format: (obj) => formatForTerminal(obj, colorEnabled(2)),
    write: writeErr,
  });
  backend = {
    info: (message) => consola.info(message),
    success: (message) => consola.success(message),
    warn: (message) => consola.warn(message),
    error: (message, hint) => consola.error({ message, hint } as { message: string }),
    dim: (message) => consola.log({ message, dim: true } as { message: string }),
    debug: (message) => consola.debug(message),
  };
}

/** Back to the lean writer (tests). */
export function useLeanLog(): void {
  backend = lean;
}
