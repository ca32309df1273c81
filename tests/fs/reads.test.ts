// What `ccp run` reads before claude starts goes through libc (src/ffi/libc-reads.ts): on Linux the
// real glibc, for macOS a stand-in library that answers in macOS's own struct layouts and flag
// numbers (tests/native/fake-libsystem.c). Every answer must be exactly node:fs's: the same
// signature fields, the same entries and kinds, the same link target, bytes and "not there", and
// node:fs's own error for anything else. The stand-in is also made unkind: pointers above 2^53,
// a readdir that fails half-way, file systems that never give an entry's type.
import { describe, expect, test } from "bun:test";
import { dlopen } from "bun:ffi";
import { chmodSync, constants, mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LibcFlavor } from "../../src/ffi/libc.ts";
import { type LibcReads, linuxMakedev, openLibcReads, readFileFlags } from "../../src/ffi/libc-reads.ts";
import { type Reads, libcReads, nodeReads } from "../../src/fs/reads.ts";
import { compileStandIn } from "../native/compile.ts";
import { makePathZoo } from "./path-zoo.ts";

const { root, file, paths } = makePathZoo("reads-");
const script = join(root, "script");
writeFileSync(script, "#!/bin/sh\n");
chmodSync(script, 0o755);
// Enough entries for several getdents batches, with every kind among them.
const big = join(root, "big");
mkdirSync(big);
for (let i = 0; i < 400; i++) writeFileSync(join(big, `entry-${i}-${"n".repeat(i % 200)}`), "");
mkdirSync(join(big, "sub"));
symlinkSync(file, join(big, "a-link"));
symlinkSync(join(root, "nothing"), join(big, "dangling"));
expect(Bun.spawnSync(["mkfifo", join(big, "fifo")]).exitCode).toBe(0);
writeFileSync(join(big, "ünïcödé ✓"), "");
writeFileSync(join(big, "n".repeat(255)), "");
mkdirSync(join(root, "empty"));
symlinkSync(script, join(root, "link-to-script"));
symlinkSync(`relative/ünï/${"t".repeat(200)}`, join(root, "relative-link"));
const large = join(root, "large");
writeFileSync(large, "L".repeat(70_000));
// Modified long before its last change: a binding that swaps mtime and ctime shows.
const old = join(root, "old");
writeFileSync(old, "o");
utimesSync(old, 1_000_000, 1_000_000.123456);

const PATHS: Record<string, string> = {
  ...paths,
  "an executable script": script,
  "a directory of 400 entries": big,
  "an empty directory": join(root, "empty"),
  "a link to a script": join(root, "link-to-script"),
  "a relative link": join(root, "relative-link"),
  "a file larger than the bound": large,
  "a file modified long ago": old,
};

/** An answer, or the error code it threw: what a caller can tell apart. */
function outcome(call: () => unknown): unknown {
  try {
    const r = call();
    if (r instanceof Uint8Array)
      return { bytes: r.length, text: new TextDecoder().decode(r.subarray(0, 64)) };
    if (Array.isArray(r)) {
      const kinds = r.map((e) => {
        const kind = e.isSymbolicLink() ? "link" : e.isDirectory() ? "dir" : e.isFile() ? "file" : "other";
        return `${e.name}:${kind}`;
      });
      return { entries: kinds.sort() };
    }
    if (r !== null && typeof r === "object") {
      const s = r as Record<string, unknown>;
      return { sig: ["dev", "ino", "mode", "size", "mtimeNs", "ctimeNs"].map((k) => String(s[k])) };
    }
    return { value: r };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { error: `${e.code ?? e.name}` };
  }
}

const CALLS: Record<string, (reads: Reads, path: string) => unknown> = {
  lstat: (r, p) => r.statFull(p, false),
  stat: (r, p) => r.statFull(p, true),
  readdir: (r, p) => r.readdir(p),
  readlink: (r, p) => r.readlink(p),
  executable: (r, p) => r.isExecutableFile(p),
  readFile: (r, p) => r.readFileNoFollow(p, 65_536),
};

/** Stands in for node:fs behind libc: a question libc leaves to it fails the comparison. */
const refusing: Reads = {
  statFull: () => refuse(),
  readdir: () => refuse(),
  readlink: () => refuse(),
  isExecutableFile: () => refuse(),
  readFileNoFollow: () => refuse(),
};
function refuse(): never {
  throw Object.assign(new Error("libc left this to node:fs"), { code: "LEFT_TO_NODE" });
}

/**
 * The binding answers as node:fs does, and wherever node:fs has an answer (not an error, not
 * "not there"), libc gave it itself: a fallback that always asks node:fs cannot hide a broken call.
 */
function expectSameAsNode(raw: LibcReads): void {
  const reads = libcReads(raw);
  const strict = libcReads(raw, refusing);
  for (const [what, path] of Object.entries(PATHS)) {
    for (const [call, ask] of Object.entries(CALLS)) {
      const want = outcome(() => ask(nodeReads, path)) as { value?: unknown; error?: string };
      expect({ what, call, got: outcome(() => ask(reads, path)) }).toEqual({ what, call, got: want });
      if (want.error !== undefined || ("value" in want && want.value === undefined)) continue;
      expect({ what, call, libc: outcome(() => ask(strict, path)) }).toEqual({ what, call, libc: want });
    }
  }
}

const standIn = compileStandIn("fake-libsystem", ["-ldl"]);
const control = dlopen(standIn, {
  fake_libsystem_high_dirs: { args: ["i32"], returns: "void" },
  fake_libsystem_high_entries: { args: ["i32"], returns: "void" },
  fake_libsystem_readdir_fails_after: { args: ["i32"], returns: "void" },
  fake_libsystem_unknown_types: { args: ["i32"], returns: "void" },
  fake_libsystem_open_dirs: { args: [], returns: "i32" },
});
const DARWIN: LibcFlavor[] = ["darwin-arm64", "darwin-x64"];

describe("libc reads exactly what node:fs reads", () => {
  test("Linux: glibc's statx, readdir, readlink, access and open", () => {
    expectSameAsNode(openLibcReads("linux"));
  });

  for (const flavor of DARWIN) {
    test(`${flavor}: macOS's struct stat, struct dirent and open flags, from the C compiler's layout`, () => {
      expectSameAsNode(openLibcReads(flavor, standIn));
      expect(control.symbols.fake_libsystem_open_dirs()).toBe(0);
    });
  }

  for (const flavor of ["linux", ...DARWIN] as LibcFlavor[]) {
    test(`${flavor}: each entry's d_type is read from its own byte (not left to a second look)`, () => {
      const raw = openLibcReads(flavor, flavor === "linux" ? undefined : standIn);
      const DT: Record<string, number> = { dir: 4, file: 8, link: 10, other: 1 };
      const got = (raw.readdir(big) as { name: string; type: number }[]).map((e) => `${e.name}:${e.type}`);
      const want = (nodeReads.readdir(big) ?? []).map((e) => {
        const kind = e.isSymbolicLink() ? "link" : e.isDirectory() ? "dir" : e.isFile() ? "file" : "other";
        return `${e.name}:${DT[kind]}`;
      });
      expect(got.sort()).toEqual(want.sort());
    });
  }

  test("the devices a signature carries are node:fs's (glibc's makedev of statx's pair)", () => {
    expect(linuxMakedev(8, 1)).toBe(2049n);
    expect(linuxMakedev(254, 0)).toBe(65024n);
    // Large numbers spread over the high bits exactly as glibc lays them out.
    expect(linuxMakedev(0x12345, 0x6789a)).toBe(
      (0x12000n << 32n) | (0x345n << 8n) | (0x67800n << 12n) | 0x9an,
    );
  });

  test("the open flags are this system's O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC", () => {
    const { O_NOFOLLOW, O_NONBLOCK } = constants;
    const flags = readFileFlags("linux") as number;
    expect(flags & O_NOFOLLOW).toBe(O_NOFOLLOW);
    expect(flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(flags & ~(O_NOFOLLOW | O_NONBLOCK)).toBe(0o2000000);
    // arm64 Linux numbers O_NOFOLLOW differently (asm/fcntl.h); other architectures are not guessed.
    expect(readFileFlags("linux", "arm64")).toBe(0o100000 | 0o4000 | 0o2000000);
    expect(readFileFlags("linux", "riscv64")).toBeUndefined();
  });
});

describe("an unkind libc still gives node:fs's answers", () => {
  for (const flavor of DARWIN) {
    test(`${flavor}: a DIR pointer above 2^53 is never read, and goes back to closedir intact`, () => {
      control.symbols.fake_libsystem_high_dirs(1);
      try {
        const reads = libcReads(openLibcReads(flavor, standIn));
        expect(outcome(() => reads.readdir(big))).toEqual(outcome(() => nodeReads.readdir(big)));
        expect(outcome(() => reads.readdir(file))).toEqual(outcome(() => nodeReads.readdir(file)));
      } finally {
        control.symbols.fake_libsystem_high_dirs(0);
      }
      // The stand-in aborts on a pointer that lost its bits; each dir it opened was closed.
      expect(control.symbols.fake_libsystem_open_dirs()).toBe(0);
    });
  }

  test("a dirent pointer above 2^53 is never read (it would fault): node:fs answers instead", () => {
    control.symbols.fake_libsystem_high_entries(1);
    try {
      const raw = openLibcReads("darwin-arm64", standIn);
      expect(raw.readdir(big)).toBe(-1);
      expect(outcome(() => libcReads(raw).readdir(big))).toEqual(outcome(() => nodeReads.readdir(big)));
    } finally {
      control.symbols.fake_libsystem_high_entries(0);
    }
    expect(control.symbols.fake_libsystem_open_dirs()).toBe(0);
  });

  test("a readdir that fails half-way is an error, never a short list", () => {
    const raw = openLibcReads("darwin-arm64", standIn);
    control.symbols.fake_libsystem_readdir_fails_after(3);
    try {
      expect(raw.readdir(big)).toBe(5); // EIO
      expect(outcome(() => libcReads(raw).readdir(big))).toEqual(outcome(() => nodeReads.readdir(big)));
    } finally {
      control.symbols.fake_libsystem_readdir_fails_after(-1);
    }
    expect(control.symbols.fake_libsystem_open_dirs()).toBe(0);
  });

  test("entries without a type (DT_UNKNOWN) are asked for their kind", () => {
    control.symbols.fake_libsystem_unknown_types(1);
    try {
      const raw = openLibcReads("darwin-arm64", standIn);
      const entries = raw.readdir(big);
      expect(Array.isArray(entries) && entries.every((e) => e.type === 0)).toBe(true);
      expect(outcome(() => libcReads(raw).readdir(big))).toEqual(outcome(() => nodeReads.readdir(big)));
    } finally {
      control.symbols.fake_libsystem_unknown_types(0);
    }
  });

  test("a library without one of the calls is not used", () => {
    expect(() => openLibcReads("darwin-arm64", compileStandIn("fake-security"))).toThrow();
    expect(() => openLibcReads("linux", join(root, "missing.so"))).toThrow();
  });
});
