import { basename, dirname, join } from "../fs/posix-path.ts";
import { nodeFs } from "../fs/probe.ts";

/**
 * Writes `data` to `path` through a temp file in the same dir and a rename, so a reader (or a
 * crash) sees either the old file or the new one. The temp name matches `*.tmp.*`, which the
 * overlay treats as private.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  const suffix = `${process.pid}.${Math.random().toString(36).slice(2, 10)}`;
  const tmp = join(dirname(path), `${basename(path)}.tmp.${suffix}`);
  let fd: number | undefined;
  try {
    fd = nodeFs().openSync(tmp, "wx", mode);
    nodeFs().writeFileSync(fd, data);
    nodeFs().fsyncSync(fd);
    nodeFs().closeSync(fd);
    fd = undefined;
    // The umask may have narrowed the mode; the caller's mode is what the file must end up with.
    nodeFs().chmodSync(tmp, mode);
    nodeFs().renameSync(tmp, path);
  } catch (cause) {
    if (fd !== undefined) nodeFs().closeSync(fd);
    nodeFs().rmSync(tmp, { force: true });
    throw cause;
  }
}
