// How to run this very cc-pool again later (from a service file, a status-bar script): a path
// that survives upgrades. A compiled binary's execPath is its real path, which under Homebrew is
// a versioned Cellar dir that `brew upgrade` deletes.
import { basename, delimiter, dirname, isAbsolute, join, resolve } from "../fs/posix-path.ts";
import { nodeFs, realpathPath } from "../fs/probe.ts";

/** The path with every link resolved, or the path itself when it cannot be resolved. */
export function realpathOrSelf(path: string): string {
  try {
    return realpathPath(path) ?? path;
  } catch {
    return path;
  }
}

const realpathSync = (path: string): string => nodeFs().realpathSync(path);
const existsSync = (path: string): boolean => nodeFs().existsSync(path);

/** The entry script when running from source (`bun src/cli.ts`); undefined in a compiled binary. */
export function sourceEntry(script: string | undefined): string | undefined {
  if (!script || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/")) return undefined;
  return /\.(?:[cm]?[jt]s)$/.test(script) ? script : undefined;
}

const CELLAR = /^(.*)\/Cellar\/([^/]+)\/[^/]+\/bin\/([^/]+)$/;

/** `…/Cellar/cc-pool/1.2.3/bin/cc-pool` → `…/opt/cc-pool/bin/cc-pool` (stable across upgrades). */
export function homebrewOptPath(path: string): string | undefined {
  const m = CELLAR.exec(path);
  return m ? `${m[1]}/opt/${m[2]}/bin/${m[3]}` : undefined;
}

export function isHomebrewInstall(execPath: string, realpath: (p: string) => string = realpathSync): boolean {
  try {
    return CELLAR.test(realpath(execPath));
  } catch {
    return CELLAR.test(execPath);
  }
}

export interface SelfFacts {
  /** process.execPath: the compiled binary, or bun when running from source. */
  execPath: string;
  /** process.argv[1] or Bun.main: the entry script from source, `/$bunfs/…` when compiled. */
  script: string | undefined;
  /** process.argv0: the command as typed (`ccp`, `/opt/homebrew/bin/ccp`), when known. */
  argv0?: string;
  pathEnv: string;
  cwd?: string;
  realpath?: (path: string) => string;
  exists?: (path: string) => boolean;
}

/**
 * The argv prefix that runs this cc-pool. From source: bun and the absolute entry script.
 * Compiled: the path it was invoked through, else a `ccp` on PATH or beside it that is this
 * binary, else the binary itself; a Cellar path becomes Homebrew's `opt` path.
 */
export function stableSelfCommand(f: SelfFacts): string[] {
  const cwd = f.cwd ?? process.cwd();
  const entry = sourceEntry(f.script);
  if (entry) return [f.execPath, resolve(cwd, entry)];
  const realpath = f.realpath ?? realpathSync;
  const exists = f.exists ?? existsSync;
  const same = (candidate: string): boolean => {
    try {
      return exists(candidate) && realpath(candidate) === realpath(f.execPath);
    } catch {
      return false;
    }
  };
  const onPath = (name: string): string | undefined =>
    f.pathEnv
      .split(delimiter)
      .filter((dir) => isAbsolute(dir))
      .map((dir) => join(dir, name))
      .find(same);
  let program: string | undefined;
  if (f.argv0?.includes("/")) {
    const abs = isAbsolute(f.argv0) ? f.argv0 : resolve(cwd, f.argv0);
    if (same(abs)) program = abs;
  } else if (f.argv0) {
    program = onPath(basename(f.argv0));
  }
  program ??= onPath("ccp");
  const sibling = join(dirname(f.execPath), "ccp");
  program ??= exists(sibling) ? sibling : f.execPath;
  const opt = homebrewOptPath(program);
  return [opt && exists(opt) ? opt : program];
}
