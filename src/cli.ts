#!/usr/bin/env bun
// Entry point. `--version` answers without loading anything else; every other path goes through
// main.ts, which loads only the command it runs. Nothing here touches process.stdout/stderr (see
// ui/output.ts): the exit waits for the output chain so a full disk is still reported. Nothing is
// imported statically: the waiting half of `ccp run` (app/shim.ts) starts here too, and every
// module it loads stays resident for claude's whole session.
export {};

const argv = process.argv.slice(2);
const handedOff =
  process.env.CCP_SHIM_HANDOFF === undefined
    ? undefined
    : await (await import("./app/shim.ts")).runHandedOff();
if (handedOff !== undefined) {
  process.exitCode = handedOff;
} else {
  const { flushOutput, writeOut } = await import("./ui/output.ts");
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    const { versionLine } = await import("./version.ts");
    writeOut(`${versionLine()}\n`);
  } else {
    const { main } = await import("./main.ts");
    process.exitCode = await main(argv);
  }
  await flushOutput();
}
