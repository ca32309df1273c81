// Compiles a C stand-in from tests/native into tests/.build as a shared library, once per source
// version (the file name carries a hash of the source), safely under concurrent test files.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";

const NATIVE_DIR = import.meta.dir;
const BUILD_DIR = join(NATIVE_DIR, "..", ".build");

/** The path of the shared library built from tests/native/<name>.c. */
export function compileStandIn(name: string, extraArgs: string[] = []): string {
  const source = join(NATIVE_DIR, `${name}.c`);
  mkdirSync(BUILD_DIR, { recursive: true });
  const digest = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 12);
  const libPath = join(BUILD_DIR, `${name}-${digest}.so`);
  if (!existsSync(libPath)) {
    const temp = `${libPath}.${process.pid}.tmp`;
    const cc = Bun.spawnSync(["cc", "-shared", "-fPIC", "-O1", "-Wall", "-o", temp, source, ...extraArgs], {
      stderr: "pipe",
    });
    if (cc.exitCode !== 0) throw new Error(`cc failed: ${cc.stderr.toString()}`);
    renameSync(temp, libPath);
  }
  return libPath;
}
