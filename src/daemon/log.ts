// The daemon's log: `$CCP_HOME/daemon.log`, rotated by size, every line passed through
// redactSecrets so no token can land on disk even if a message carried one by mistake.
import { appendFileSync, existsSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { redactSecrets } from "../usage/errors.ts";

export const DAEMON_LOG_NAME = "daemon.log";
export const DAEMON_LOG_MAX_BYTES = 1024 * 1024;
/** Rotated files kept beside the live one: daemon.log.1 … daemon.log.3. */
export const DAEMON_LOG_KEEP = 3;

export type LogLevel = "info" | "warn" | "error";

export interface DaemonLog {
  readonly path: string;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface DaemonLogOptions {
  maxBytes?: number;
  keep?: number;
  /** Also write each line here (e.g. stderr when run by hand on a terminal). */
  echo?: (line: string) => void;
  now?: () => number;
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
  const write = (level: LogLevel, message: string): void => {
    const text = redactSecrets(message).replace(/[\r\n]+/g, " ");
    const line = `${new Date(now()).toISOString()} ${level.padEnd(5)} [${process.pid}] ${text}\n`;
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
  return {
    path,
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
  };
}
