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

// Libraries the hot path must not load (consola: only off the hot path; picocolors: only when
// colour is on; prompts: never): every load of one is recorded the same way. The ES modules are
// seen as they load; picocolors (CommonJS, required synchronously) in the require cache at exit.
if (logPath) {
  Bun.plugin({
    name: "ccp-load-trap",
    setup(build) {
      build.onLoad({ filter: /\/node_modules\/(consola|@clack\/prompts)\/.*\.mjs$/ }, async (args) => {
        appendFileSync(logPath, `loaded ${args.path.replace(/^.*\/node_modules\//, "")}\n--\n`);
        return { contents: await Bun.file(args.path).text(), loader: "js" };
      });
    },
  });
  process.on("exit", () => {
    for (const key of Object.keys(require.cache)) {
      if (/\/node_modules\/picocolors\//.test(key))
        appendFileSync(logPath, `loaded ${key.replace(/^.*\/node_modules\//, "")}\n--\n`);
    }
  });
}
