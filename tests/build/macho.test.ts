// The signature checker and the stripper on small synthetic Mach-O files built here byte by byte
// (the real cross-compiled binaries are checked by the release test).
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { checkDarwinBinary } from "../../scripts/check-macho.ts";
import { CPU_TYPE, parseMachO, stripSignature, verifySignature } from "../../scripts/macho.ts";

const PAGE = 4096;

interface Options {
  arch?: "arm64" | "x64";
  /** Pages of __TEXT + __LINKEDIT before the signature. */
  pages?: number;
  /** The code directory covers this many bytes fewer than it should. */
  shortBy?: number;
}

function segment(name: string, fileoff: number, filesize: number): Buffer {
  const b = Buffer.alloc(72);
  b.writeUInt32LE(0x19, 0);
  b.writeUInt32LE(72, 4);
  b.write(name, 8, "latin1");
  b.writeBigUInt64LE(BigInt(0x100000000 + fileoff), 24);
  b.writeBigUInt64LE(BigInt(Math.ceil(filesize / 0x4000) * 0x4000), 32);
  b.writeBigUInt64LE(BigInt(fileoff), 40);
  b.writeBigUInt64LE(BigInt(filesize), 48);
  return b;
}

/** A minimal executable, ad-hoc signed with one SHA-256 CodeDirectory over its pages. */
function signedMachO(options: Options = {}): Buffer {
  const pages = options.pages ?? 5;
  const codeEnd = pages * PAGE - 1000; // the last page is partial, as in real binaries
  const textSize = 2 * PAGE;
  const ident = Buffer.from("cc-pool-test\0");
  const codeLimit = codeEnd - (options.shortBy ?? 0);
  const slots = Math.ceil(codeLimit / PAGE);
  const cdHeader = 48;
  const cdLength = cdHeader + ident.length + slots * 32;
  const sigSize = 20 + cdLength;
  const file = Buffer.alloc(codeEnd + sigSize);
  for (let i = 32 + 72 * 2 + 16; i < codeEnd; i++) file[i] = (i * 31) & 0xff;
  file.writeUInt32LE(0xfeedfacf, 0);
  file.writeUInt32LE(CPU_TYPE[options.arch ?? "x64"], 4);
  file.writeUInt32LE(2, 12);
  file.writeUInt32LE(3, 16);
  file.writeUInt32LE(72 * 2 + 16, 20);
  segment("__TEXT", 0, textSize).copy(file, 32);
  segment("__LINKEDIT", textSize, codeEnd + sigSize - textSize).copy(file, 32 + 72);
  const lc = 32 + 72 * 2;
  file.writeUInt32LE(0x1d, lc);
  file.writeUInt32LE(16, lc + 4);
  file.writeUInt32LE(codeEnd, lc + 8);
  file.writeUInt32LE(sigSize, lc + 12);
  // SuperBlob with one CodeDirectory, big-endian like the real thing.
  const sig = file.subarray(codeEnd);
  sig.writeUInt32BE(0xfade0cc0, 0);
  sig.writeUInt32BE(sigSize, 4);
  sig.writeUInt32BE(1, 8);
  sig.writeUInt32BE(0, 12);
  sig.writeUInt32BE(20, 16);
  const cd = sig.subarray(20);
  cd.writeUInt32BE(0xfade0c02, 0);
  cd.writeUInt32BE(cdLength, 4);
  cd.writeUInt32BE(0x20100, 8);
  cd.writeUInt32BE(2, 12); // adhoc
  cd.writeUInt32BE(cdHeader + ident.length, 16);
  cd.writeUInt32BE(cdHeader, 20);
  cd.writeUInt32BE(0, 24);
  cd.writeUInt32BE(slots, 28);
  cd.writeUInt32BE(codeLimit, 32);
  cd[36] = 32;
  cd[37] = 2;
  cd[39] = 12;
  ident.copy(cd, cdHeader);
  for (let p = 0; p < slots; p++) {
    const end = Math.min((p + 1) * PAGE, codeLimit);
    createHash("sha256")
      .update(file.subarray(p * PAGE, end))
      .digest()
      .copy(cd, cdHeader + ident.length + p * 32);
  }
  return file;
}

describe("verifySignature", () => {
  test("a correct ad-hoc signature verifies", () => {
    const report = verifySignature(signedMachO());
    expect(report.present && report.problems).toEqual([]);
    expect(checkDarwinBinary(signedMachO({ arch: "arm64" }), "arm64").ok).toBe(true);
  });

  test("a page changed after signing is found by its hash", () => {
    const file = signedMachO();
    file.writeUInt8(file.readUInt8(3 * PAGE + 17) ^ 0xff, 3 * PAGE + 17);
    const report = verifySignature(file);
    if (!report.present) throw new Error("signature lost");
    expect(report.codeDirectories[0]?.badPages).toEqual([3]);
    expect(report.problems).toEqual(["CodeDirectory 0 (SHA-256): 1 of 5 page hashes are wrong"]);
    expect(checkDarwinBinary(file, "x64").ok).toBe(false);
  });

  test("a code limit short of the signature leaves bytes uncovered", () => {
    const report = verifySignature(signedMachO({ shortBy: PAGE + 10 }));
    if (!report.present) throw new Error("signature lost");
    expect(report.problems.join("\n")).toContain(`${PAGE + 10} bytes are not covered`);
  });
});

describe("stripSignature", () => {
  test("removes the command, the signature bytes and their share of __LINKEDIT", () => {
    const signed = signedMachO();
    const dataOffset = signed.readUInt32LE(32 + 72 * 2 + 8);
    const stripped = stripSignature(signed);
    expect(stripped.length).toBe(dataOffset);
    expect(verifySignature(stripped)).toEqual({ present: false });
    const macho = parseMachO(stripped);
    expect(macho.ncmds).toBe(2);
    expect(macho.sizeofcmds).toBe(72 * 2);
    const view = Buffer.from(stripped);
    expect(Number(view.readBigUInt64LE(32 + 72 + 40) + view.readBigUInt64LE(32 + 72 + 48))).toBe(dataOffset);
    // The code itself is untouched.
    expect(
      Buffer.from(stripped.subarray(32 + 72 * 2 + 16)).equals(signed.subarray(32 + 72 * 2 + 16, dataOffset)),
    ).toBe(true);
    expect(checkDarwinBinary(stripped, "x64")).toEqual({
      ok: true,
      lines: ["Mach-O 64-bit x64", "no code signature (x86_64 needs none)"],
    });
    // arm64 code must be signed: an unsigned one is refused.
    const arm = stripSignature(signedMachO({ arch: "arm64" }));
    expect(checkDarwinBinary(arm, "arm64").ok).toBe(false);
  });

  test("refuses a signature that is not at the end of the file", () => {
    const signed = Buffer.concat([signedMachO(), Buffer.alloc(PAGE)]);
    expect(() => stripSignature(signed)).toThrow(/not at the end/);
  });

  test("the wrong architecture or not a Mach-O at all is refused", () => {
    expect(checkDarwinBinary(signedMachO({ arch: "x64" }), "arm64").ok).toBe(false);
    expect(checkDarwinBinary(Buffer.from("#!/bin/sh\n"), "x64")).toEqual({
      ok: false,
      lines: ["not a Mach-O x64 binary: not a thin 64-bit Mach-O file"],
    });
  });
});
