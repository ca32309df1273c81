// Messages for people go to stderr; stdout is reserved for data. Written through the output module
// so a message never builds node's stream stack (see output.ts) and a closed stderr never crashes.
import { colors } from "./color.ts";
import { writeErr } from "./output.ts";

function write(line: string): void {
  writeErr(`${line}\n`);
}

export const log = {
  info(message: string): void {
    write(message);
  },
  success(message: string): void {
    write(`${colors().green("✓")} ${message}`);
  },
  warn(message: string): void {
    const c = colors();
    write(`${c.yellow(c.bold("!"))} ${c.yellow(message)}`);
  },
  error(message: string, hint?: string): void {
    const c = colors();
    write(`${c.red(c.bold("✖"))} ${message}`);
    if (hint) write(`  ${c.dim(hint)}`);
  },
  dim(message: string): void {
    write(colors().dim(message));
  },
};
