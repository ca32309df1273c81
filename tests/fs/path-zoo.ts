// The paths both libc bindings are held to node:fs on (tests/fs/probe.test.ts, reads.test.ts):
// every kind of file a hostile or broken folder can hold, and the path strings that must never
// reach C as they are. Each test file adds the cases of its own calls.
import { afterAll, expect } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/cli.ts";

export interface PathZoo {
  root: string;
  /** A regular file of 1,234 bytes with a non-ASCII name. */
  file: string;
  dir: string;
  /** Every path of the zoo, by what it is. */
  paths: Record<string, string>;
}

/** Makes the zoo under a new temp dir; its socket is closed after the file's tests. */
export function makePathZoo(prefix: string): PathZoo {
  const root = tempDir(prefix);
  const file = join(root, "plain file ✓ ünïcödé");
  writeFileSync(file, "x".repeat(1234));
  const dir = join(root, "dir");
  mkdirSync(dir);
  symlinkSync(file, join(root, "link-to-file"));
  symlinkSync(dir, join(root, "link-to-dir"));
  symlinkSync(join(root, "nothing"), join(root, "dangling"));
  symlinkSync(join(root, "loop-b"), join(root, "loop-a"));
  symlinkSync(join(root, "loop-a"), join(root, "loop-b"));
  const fifo = join(root, "fifo");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const socket = join(root, "sock");
  const listener = Bun.listen({ unix: socket, socket: { data() {} } });
  afterAll(() => listener.stop(true));
  return {
    root,
    file,
    dir,
    paths: {
      "a regular file (non-ASCII name)": file,
      "a directory": dir,
      "a link to a file": join(root, "link-to-file"),
      "a link to a directory": join(root, "link-to-dir"),
      "a dangling link": join(root, "dangling"),
      "a link loop": join(root, "loop-a"),
      "a named pipe": fifo,
      "a socket": socket,
      "a device": "/dev/null",
      "the root": "/",
      "a path that is not there": join(root, "missing"),
      "a path below a file": join(file, "child"),
      "a relative path": "tests",
      "a path longer than PATH_MAX": `${root}/${"d/".repeat(3000)}`,
      "a path with a NUL byte": `${file}\0/etc/passwd`,
      "an empty path": "",
    },
  };
}
