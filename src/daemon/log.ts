// The daemon's log: `$CCP_HOME/daemon.log`, rotated by size, every line passed through
// redactSecrets so no token can land on disk even if a message carried one by mistake. Levels go
// through consola (its core only, with a file reporter): debug lines appear with DEBUG=1/CCP_DEBUG=1.
import { appendFileSync, existsSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { createCcpConsola, logLevel } from "../ui/consola.ts";
import { redactSecrets } from "../usage/errors.ts";

export const DAEMON_LOG_NAME = "daemon.log";
export const DAEMON_LOG_MAX_BYTES = 1024 * 1024;
/** Rotated files kept beside the live one: daemon.log.1 … daemon.log.3. */
export const DAEMON_LOG_KEEP = 3;

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface DaemonLog {
  readonly path: string;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Only written when the log was opened with `debug`. */
  debug(message: string): void;
}

export interface DaemonLogOptions {
  maxBytes?: number;
  keep?: number;
  /** Also write each line here (e.g. stderr when run by hand on a terminal). */
  echo?: (line: string) => void;
  now?: () => number;
  /** Also write debug lines (DEBUG=1 or CCP_DEBUG=1). */
  debug?: boolean;
}

export function daemonLogPath(ccpHome: string): string {
  return join(ccpHome, DAEMON_LOG_NAME);
}

function rotate(path: string, keep: number): void {
  for (let i = keep - 1; i >= 1; i--) {
    const from = `${path}.${i}`;
    if (existsSync(from)) renameSync(from, `${path}.${i + 1}`);
  }
  renameSync(path, `${path}.1`);
}

/** A size-rotated log file. Writing never throws: a full disk must not stop the daemon. */
export function openDaemonLog(path: string, options: DaemonLogOptions = {}): DaemonLog {
  const maxBytes = options.maxBytes ?? DAEMON_LOG_MAX_BYTES;
  const keep = options.keep ?? DAEMON_LOG_KEEP;
  const now = options.now ?? Date.now;
  const format = (level: string, message: string): string => {
    const text = redactSecrets(message).replace(/[\r\n]+/g, " ");
    return `${new Date(now()).toISOString()} ${level.padEnd(5)} [${process.pid}] ${text}\n`;
  };
  const append = (line: string): void => {
    try {
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {
        size = 0;
      }
      if (size > 0 && size + line.length > maxBytes) rotate(path, keep);
      appendFileSync(path, line, { mode: 0o600 });
    } catch {
      // Nowhere better to report it.
    }
    options.echo?.(line);
  };
  const consola = createCcpConsola({
    level: logLevel({ debug: options.debug }),
    format: (obj) => format(obj.type === "log" ? "info" : obj.type, obj.args.map((a) => String(a)).join(" ")),
    write: append,
  });
  return {
    path,
    info: (m) => consola.info(m),
    warn: (m) => consola.warn(m),
    error: (m) => consola.error(m),
    debug: (m) => consola.debug(m),
  };
}
