// Which name cc-pool was started under. Kept tiny and free of imports: cli.ts loads it before
// anything else, on every command.

function baseName(path: string): string {
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/**
 * True when started as `claude` (a link to the compiled binary, made by `ccp shim install`).
 * A compiled binary sees the typed name in argv0; from source, argv[1] is the entry script.
 */
export function invokedAsClaude(argv0: string | undefined, script: string | undefined): boolean {
  if (argv0 && baseName(argv0) === "claude") return true;
  return script !== undefined && !script.startsWith("/$bunfs/") && baseName(script) === "claude";
}
