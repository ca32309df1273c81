import { chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "../fs/posix-path.ts";

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
    fd = openSync(tmp, "wx", mode);
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    // The umask may have narrowed the mode; the caller's mode is what the file must end up with.
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw cause;
  }
}
