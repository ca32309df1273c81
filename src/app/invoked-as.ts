// Which name cc-pool was started under. Kept tiny: cli.ts imports it before anything else.
import { basename } from "node:path";

/**
 * True when started as `claude` (a link to the compiled binary, made by `ccp shim install`).
 * A compiled binary sees the typed name in argv0; from source, argv[1] is the entry script.
 */
export function invokedAsClaude(argv0: string | undefined, script: string | undefined): boolean {
  if (argv0 && basename(argv0) === "claude") return true;
  return script !== undefined && !script.startsWith("/$bunfs/") && basename(script) === "claude";
}
