// How the installed scripts should call this very ccp: a path that survives upgrades.
import { stableSelfCommand } from "../app/self-path.ts";

export interface SelfLocation {
  /** process.execPath: the compiled binary, or bun when running from source. */
  execPath: string;
  /** Bun.main: `/$bunfs/…` inside a compiled binary, the entry file from source. */
  mainPath: string;
  /** The PATH to search for a `ccp` that is this binary. */
  pathEnv: string;
}

/** The argv prefix that runs ccp: one absolute path, or bun and the entry file from source. */
export function ccpCommand(self: SelfLocation): string[] {
  return stableSelfCommand({ execPath: self.execPath, script: self.mainPath, pathEnv: self.pathEnv });
}
