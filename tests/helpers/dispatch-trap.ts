// Preloaded into `bun src/cli.ts` by tests/cli/bare-select.test.ts: appends "loaded <file>" to the
// file named by CCP_DISPATCH_TRAP whenever the dispatcher (src/main.ts) or the command table
// (src/commands/registry.ts) loads, so a test can tell which route a command line took.
import { appendFileSync } from "node:fs";

const logPath = process.env.CCP_DISPATCH_TRAP;
if (logPath) {
  Bun.plugin({
    name: "ccp-dispatch-trap",
    setup(build) {
      build.onLoad({ filter: /\/src\/(main|commands\/registry)\.ts$/ }, async (args) => {
        appendFileSync(logPath, `loaded ${args.path.replace(/^.*\/src\//, "src/")}\n`);
        return { contents: await Bun.file(args.path).text(), loader: "ts" };
      });
    },
  });
}
