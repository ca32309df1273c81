#!/usr/bin/env bun
// Entry point. `--version` answers without loading anything else; every other path goes through
// main.ts, which loads only the command it runs.
import { versionLine } from "./version.ts";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  process.stdout.write(`${versionLine()}\n`);
} else {
  const { main } = await import("./main.ts");
  process.exitCode = await main(argv);
}
