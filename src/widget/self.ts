// How the installed scripts should call this very ccp. A compiled binary's execPath is its real
// path, which under Homebrew is the versioned Cellar dir that `brew upgrade` deletes: prefer the
// stable `opt` link, then a `ccp` on PATH that is this binary.
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

export interface SelfLocation {
  /** process.execPath: the compiled binary, or bun when running from source. */
  execPath: string;
  /** Bun.main: `/$bunfs/…` inside a compiled binary, the entry file from source. */
  mainPath: string;
  /** The PATH to search for a `ccp` that is this binary. */
  pathEnv: string;
}

const CELLAR = /^(.*)\/Cellar\/cc-pool\/[^/]+\/bin\/[^/]+$/;

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export function isCompiled(mainPath: string): boolean {
  return mainPath.startsWith("/$bunfs/") || mainPath.startsWith("B:/~BUN/");
}

/** The argv prefix that runs ccp: one absolute path, or bun and the entry file from source. */
export function ccpCommand(self: SelfLocation): string[] {
  if (!isCompiled(self.mainPath)) return [self.execPath, self.mainPath];
  const real = realpathOrSelf(self.execPath);
  const cellar = CELLAR.exec(self.execPath);
  if (cellar) {
    for (const name of ["ccp", "cc-pool"]) {
      const opt = join(cellar[1] as string, "opt/cc-pool/bin", name);
      if (existsSync(opt)) return [opt];
    }
  }
  for (const dir of self.pathEnv.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = join(dir, "ccp");
    if (existsSync(candidate) && realpathOrSelf(candidate) === real) return [candidate];
  }
  const sibling = join(dirname(self.execPath), "ccp");
  return [existsSync(sibling) ? sibling : self.execPath];
}
