// consola for the commands that are not on the hot path, and for the daemon's log: levels, debug
// output with --verbose/DEBUG, and reporters that write where cc-pool writes. Only consola/core is
// used, with cc-pool's own reporters: measured compiled, consola/core costs ~0.7 ms of CPU, while
// the default `consola` export costs ~24 ms (it builds process.stdout/stderr and loads its fancy
// reporter). It is loaded lazily (main.ts, daemon/log.ts), never by select/run/env/status --plain.
import { type ConsolaInstance, type LogObject, LogLevels, createConsola } from "consola/core";
import { createColors } from "./color.ts";

export type { ConsolaInstance, LogObject };

/** Extra fields cc-pool's log calls pass along with the message. */
export interface CcpLogFields {
  hint?: string;
  /** log.dim: a quiet line. */
  dim?: boolean;
}

export function logLevel(options: { verbose?: boolean; debug?: boolean; quiet?: boolean }): number {
  if (options.verbose || options.debug) return LogLevels.debug;
  return options.quiet ? LogLevels.warn : LogLevels.info;
}

function text(obj: LogObject): string {
  return obj.args.map((a) => (typeof a === "string" ? a : String(a))).join(" ");
}

/** The same lines log.ts writes without consola: ✓ success, ! warning, ✖ error and its hint. */
export function formatForTerminal(obj: LogObject & CcpLogFields, color: boolean): string {
  const c = createColors(color);
  const message = text(obj);
  switch (obj.type) {
    case "success":
      return `${c.green("✓")} ${message}\n`;
    case "warn":
      return `${c.yellow(c.bold("!"))} ${c.yellow(message)}\n`;
    case "error":
    case "fatal":
      return `${c.red(c.bold("✖"))} ${message}\n${obj.hint ? `  ${c.dim(obj.hint)}\n` : ""}`;
    case "debug":
    case "trace":
      return `${c.dim(`· ${message}`)}\n`;
    default:
      return `${obj.dim ? c.dim(message) : message}\n`;
  }
}

/** A consola whose every message goes to `write` as one formatted string (no throttling). */
export function createCcpConsola(options: {
  level: number;
  format: (obj: LogObject & CcpLogFields) => string;
  write: (line: string) => void;
}): ConsolaInstance {
  return createConsola({
    level: options.level,
    // consola folds repeated identical lines by default; every warning must be shown.
    throttle: 0,
    reporters: [{ log: (obj) => options.write(options.format(obj as LogObject & CcpLogFields)) }],
  });
}
