import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "./cli.ts";

const STAND_IN = resolve(import.meta.dir, "stand-in-claude.ts");

/** A dir holding an executable `claude` that runs the stand-in; put it first on PATH. */
export function standInClaudeDir(): string {
  const dir = join(tempDir("bin-"), "bin");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "claude");
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${STAND_IN}" "$@"\n`);
  chmodSync(path, 0o755);
  return dir;
}

export function pathWith(dir: string): string {
  return `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`;
}
