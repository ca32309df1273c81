#!/usr/bin/env bun
// Entry point. `--version`, `ccp run` and a bare `ccp select` go without the dispatcher; every
// other path goes through main.ts, which loads only the command it runs. Nothing here touches
// process.stdout/stderr (see ui/output.ts): the exit waits for the output chain so a full disk is
// still reported. Started under the name `claude` (a link made by `ccp shim install`), cc-pool is
// `ccp run`; the status line has its own lean path.
import { invokedAsClaude } from "./app/invoked-as.ts";

const argv = process.argv.slice(2);
const asClaude = invokedAsClaude(process.argv0, process.argv[1]);
if (!asClaude && argv[0] === "statusline" && (argv.length === 1 || argv[1] === "--")) {
  // Writes with Bun.write itself and never fails (see app/statusline.ts).
  const { runStatusline } = await import("./app/statusline.ts");
  process.exitCode = await runStatusline(argv.slice(2));
} else {
  const { flushOutput, writeOut } = await import("./ui/output.ts");
  if (asClaude) {
    const { runAsClaude } = await import("./commands/run.ts");
    process.exitCode = await runAsClaude(argv);
  } else if (argv[0] === "run") {
    // Every argument after `run` is claude's: straight to the launch, past the dispatcher.
    const { runFromCli } = await import("./commands/run.ts");
    process.exitCode = await runFromCli(argv);
  } else if (argv.length === 1 && argv[0] === "select") {
    // The bare pick, straight to its code; any flag goes through main.ts like every command.
    const { BARE_SELECT, runSelect } = await import("./commands/select-run.ts");
    try {
      process.exitCode = await runSelect(BARE_SELECT);
    } catch (error) {
      const { reportError } = await import("./main.ts");
      process.exitCode = reportError(error, false);
    }
  } else if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    const { versionLine } = await import("./version.ts");
    writeOut(`${versionLine()}\n`);
  } else {
    const { main } = await import("./main.ts");
    process.exitCode = await main(argv);
  }
  await flushOutput();
}
