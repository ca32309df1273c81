// Preloaded into `bun src/cli.ts` by the hot-path tests: records every touch of process.stdout and
// process.stderr (the 12–15 ms stream start-up of a compiled binary) with the stack that made it,
// into the file named by CCP_STREAM_TRAP. The streams still work, so the command's behaviour is
// unchanged.
import { appendFileSync } from "node:fs";

const logPath = process.env.CCP_STREAM_TRAP;
if (logPath) {
  for (const name of ["stdout", "stderr"] as const) {
    const desc = Object.getOwnPropertyDescriptor(process, name);
    const real = desc?.get ? desc.get.call(process) : desc?.value;
    Object.defineProperty(process, name, {
      configurable: true,
      get() {
        const stack = (new Error(`process.${name}`).stack ?? "").split("\n").slice(1, 8).join("\n");
        appendFileSync(logPath, `process.${name}\n${stack}\n--\n`);
        return real;
      },
    });
  }
}
