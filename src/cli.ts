#!/usr/bin/env bun
// Entry point. `--version` answers without loading anything else; every other path goes through
// main.ts, which loads only the command it runs. Nothing here touches process.stdout/stderr (see
// ui/output.ts): the exit waits for the output chain so a full disk is still reported.
import { flushOutput, writeOut } from "./ui/output.ts";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  const { versionLine } = await import("./version.ts");
  writeOut(`${versionLine()}\n`);
} else {
  const { main } = await import("./main.ts");
  process.exitCode = await main(argv);
}
await flushOutput();
