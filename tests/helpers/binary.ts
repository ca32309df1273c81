import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildTarget, hostTarget } from "../../scripts/build.ts";
import { REPO_ROOT } from "./cli.ts";

let built: Promise<string> | undefined;

/**
 * The compiled host binary, built once per test process into tests/.build (gitignored).
 * Returns the path of the `ccp` symlink.
 */
export async function compiledCcp(): Promise<string> {
  // Another test file of the same process may have removed the build when it finished.
  if (built && !existsSync(await built.catch(() => ""))) built = undefined;
  built ??= (async () => {
    const out = join(REPO_ROOT, "tests/.build", String(process.pid));
    await buildTarget(hostTarget(), out);
    const ccp = join(out, hostTarget(), "ccp");
    if (!existsSync(ccp)) throw new Error("build produced no ccp symlink");
    return ccp;
  })();
  return built;
}
