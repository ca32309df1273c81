#!/usr/bin/env bun
// Entry point. `--version` and the status line answer without loading anything else; every other
// path goes through main.ts, which loads only the command it runs. Started under the name `claude`
// (a link made by `ccp shim install`), cc-pool is `ccp run`.
import { invokedAsClaude } from "./app/invoked-as.ts";
import { versionLine } from "./version.ts";

const argv = process.argv.slice(2);
if (invokedAsClaude(process.argv0, process.argv[1])) {
  const { runAsClaude } = await import("./commands/run.ts");
  process.exitCode = await runAsClaude(argv);
} else if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  process.stdout.write(`${versionLine()}\n`);
} else if (argv[0] === "statusline" && (argv.length === 1 || argv[1] === "--")) {
  const { runStatusline } = await import("./app/statusline.ts");
  process.exitCode = await runStatusline(argv.slice(2));
} else {
  const { main } = await import("./main.ts");
  process.exitCode = await main(argv);
}
