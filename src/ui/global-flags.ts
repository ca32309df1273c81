// The flags every command takes, applied before it runs: by main.ts, and by the routes cli.ts
// takes past it (`ccp run`, a bare `ccp select`), so each behaves the same either way.
import { setColorEnabled } from "./color.ts";
import { setLogDebug } from "./log.ts";

/** --verbose (or DEBUG=1) turns debug lines on, --no-color turns colour off. Returns --verbose. */
export function applyGlobalFlags(argv: readonly string[]): boolean {
  const verbose = argv.includes("--verbose");
  setLogDebug(verbose || process.env.DEBUG === "1" || process.env.DEBUG === "true");
  if (argv.includes("--no-color")) setColorEnabled(false);
  return verbose;
}
