// Messages for people go to stderr; stdout is reserved for data. Written through the output module
// so a message never builds node's stream stack (see output.ts) and a closed stderr never crashes.
import { colors } from "./color.ts";
import { writeErr } from "./output.ts";
import { safeMessage } from "./safe-text.ts";

function write(line: string): void {
  writeErr(`${line}\n`);
}

// Messages often carry names, emails and paths from outside; colour is added after this.
const clean = safeMessage;

export const log = {
  info(message: string): void {
    write(clean(message));
  },
  success(message: string): void {
    write(`${colors().green("✓")} ${clean(message)}`);
  },
  warn(message: string): void {
    const c = colors();
    write(`${c.yellow(c.bold("!"))} ${c.yellow(clean(message))}`);
  },
  error(message: string, hint?: string): void {
    const c = colors();
    write(`${c.red(c.bold("✖"))} ${clean(message)}`);
    if (hint) write(`  ${c.dim(clean(hint))}`);
  },
  dim(message: string): void {
    write(colors().dim(clean(message)));
  },
};
