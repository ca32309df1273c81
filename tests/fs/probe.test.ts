// The path checks every command makes before it opens the pool read libc through bun:ffi: on
// Linux the real glibc (statx), for macOS a stand-in library that answers in macOS's own struct
// layout (tests/native/fake-libsystem.c). Every answer must be exactly node:fs's: the same
// kind, mode, owner and size, the same "not there", and node:fs's own error for anything else.
import { describe, expect, test } from "bun:test";
import { FFIType, dlopen } from "bun:ffi";
import { chmodSync, chownSync, lstatSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FFI_TYPE, type LibcFlavor, openLibcFiles } from "../../src/ffi/libc.ts";
import {
  type PathFacts,
  type Probe,
  describeKind,
  libcProbe,
  nodeProbe,
  realpathOfNearest,
} from "../../src/fs/probe.ts";
import { compileStandIn } from "../native/compile.ts";
import { makePathZoo } from "./path-zoo.ts";

const { root, file, dir, paths } = makePathZoo("probe-");
chmodSync(file, 0o640);
// Owned by someone else, with a group apart from its owner: a read of the wrong field shows.
const foreign = join(root, "foreign");
writeFileSync(foreign, "y".repeat(77));
if (process.getuid?.() === 0) chownSync(foreign, 4321, 8765);
const fifo = paths["a named pipe"] as string;

const PATHS: Record<string, string> = {
  ...paths,
  "a file of another owner and group": foreign,
  "a path through a linked dir": join(root, "link-to-dir", ".."),
  "a name longer than any file system allows": join(root, "n".repeat(300)),
};

type Outcome = { facts: Pick<PathFacts, "mode" | "uid" | "size"> | string | undefined } | { error: string };

function outcome(call: () => PathFacts | string | undefined): Outcome {
  try {
    const r = call();
    return { facts: typeof r === "object" ? { mode: r.mode, uid: r.uid, size: r.size } : r };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { error: `${e.code ?? e.name}` };
  }
}

function expectSameAsNode(probe: Probe): void {
  for (const [what, path] of Object.entries(PATHS)) {
    for (const call of ["lstat", "stat", "realpath"] as const) {
      const got = outcome(() => probe[call](path));
      const want = outcome(() => nodeProbe[call](path));
      expect({ what, call, ...got }).toEqual({ what, call, ...want });
    }
  }
}

const standIn = compileStandIn("fake-libsystem", ["-ldl"]);

describe("libc answers exactly what node:fs answers", () => {
  test("Linux: glibc's statx and realpath", () => {
    expectSameAsNode(libcProbe(openLibcFiles("linux")));
  });

  for (const flavor of ["darwin-arm64", "darwin-x64"] as LibcFlavor[]) {
    test(`${flavor}: macOS's struct stat, laid out by the C compiler from <sys/stat.h>'s fields`, () => {
      expectSameAsNode(libcProbe(openLibcFiles(flavor, standIn)));
    });
  }

  test("the probes agree on what a path is, in words", () => {
    const probe = libcProbe(openLibcFiles("linux"));
    const kinds = ["link-to-file", "dir", "fifo", "sock"].map((n) =>
      describeKind(probe.lstat(join(root, n)) as PathFacts),
    );
    expect(kinds).toEqual(["a symbolic link", "a directory", "a named pipe (FIFO)", "a socket"]);
    expect(describeKind(probe.lstat("/dev/null") as PathFacts)).toBe("a device");
    expect(describeKind(lstatSync(fifo))).toBe("a named pipe (FIFO)");
  });
});

describe("a library whose answers cannot be trusted is not used", () => {
  test("the binding's type codes are bun:ffi's (it calls Bun.FFI's natives without the module)", () => {
    expect(FFI_TYPE).toEqual({
      i32: FFIType.i32,
      u32: FFIType.u32,
      u64: FFIType.u64,
      ptr: FFIType.ptr,
      i64_fast: FFIType.i64_fast,
    });
    expect(typeof (Bun as unknown as { FFI?: { dlopen?: unknown } }).FFI?.dlopen).toBe("function");
  });

  test("a library that reads / as something else than a directory is refused", () => {
    // The same path dlopens the same library: the switch reaches the copy the binding uses.
    const control = dlopen(standIn, { fake_libsystem_garbage: { args: ["i32"], returns: "void" } });
    control.symbols.fake_libsystem_garbage(1);
    try {
      expect(() => openLibcFiles("darwin-arm64", standIn)).toThrow(/does not read \/ as a directory/);
      expect(() => openLibcFiles("darwin-x64", standIn)).toThrow(/does not read \/ as a directory/);
    } finally {
      control.symbols.fake_libsystem_garbage(0);
    }
    expect(() => openLibcFiles("darwin-arm64", standIn)).not.toThrow();
  });

  test("a library that is not there, or lacks a call, is refused", () => {
    expect(() => openLibcFiles("linux", join(root, "missing.so"))).toThrow();
    // The stand-in has no statx of its own, but dlsym finds glibc's through it; a library without
    // a call at all is what a missing macOS symbol looks like.
    expect(() => openLibcFiles("darwin-arm64", compileStandIn("fake-security"))).toThrow();
  });
});

describe("realpathOfNearest", () => {
  test("resolves the part that exists and keeps the missing tail, through both probes", () => {
    const linux = libcProbe(openLibcFiles("linux"));
    const path = join(root, "link-to-dir", "not", "yet");
    for (const probe of [linux, nodeProbe]) {
      expect(realpathOfNearest(path, probe)).toBe(join(dir, "not", "yet"));
      expect(realpathOfNearest(join(root, "dangling"), probe)).toBe(join(root, "dangling"));
    }
  });
});
