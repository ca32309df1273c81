// Just enough Mach-O to check and repair the code signature of a thin 64-bit executable: the load
// commands, LC_CODE_SIGNATURE's SuperBlob and its CodeDirectories (page hashes, code limit).
// Layouts from Apple's <mach-o/loader.h> and the open-source Security framework's cscdefs.h.
import { createHash } from "node:crypto";

export const MH_MAGIC_64 = 0xfeedfacf;
export const CPU_TYPE = { arm64: 0x0100000c, x64: 0x01000007 } as const;
export type MachOArch = keyof typeof CPU_TYPE;

const MACH_HEADER_64_SIZE = 32;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;

const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSSLOT_CODEDIRECTORY = 0;
const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
const CSSLOT_SIGNATURESLOT = 0x10000;
/** Special slots whose hash covers another blob of the same SuperBlob (requirements, entitlements…). */
const BLOB_SPECIAL_SLOTS = [2, 5, 7];
const HASH_TYPES: Record<number, { algorithm: string; name: string }> = {
  1: { algorithm: "sha1", name: "SHA-1" },
  2: { algorithm: "sha256", name: "SHA-256" },
  3: { algorithm: "sha256", name: "SHA-256 (truncated)" },
  4: { algorithm: "sha384", name: "SHA-384" },
};

export interface LoadCommand {
  cmd: number;
  offset: number;
  size: number;
}

export interface MachO {
  cpuType: number;
  ncmds: number;
  sizeofcmds: number;
  commands: LoadCommand[];
}

export class MachOError extends Error {}

export function parseMachO(file: Uint8Array): MachO {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.byteLength < MACH_HEADER_64_SIZE || view.getUint32(0, true) !== MH_MAGIC_64)
    throw new MachOError("not a thin 64-bit Mach-O file");
  const cpuType = view.getUint32(4, true);
  const ncmds = view.getUint32(16, true);
  const sizeofcmds = view.getUint32(20, true);
  const commands: LoadCommand[] = [];
  let offset = MACH_HEADER_64_SIZE;
  for (let i = 0; i < ncmds; i++) {
    if (offset + 8 > MACH_HEADER_64_SIZE + sizeofcmds)
      throw new MachOError(`load command ${i} overruns the header`);
    const cmd = view.getUint32(offset, true);
    const size = view.getUint32(offset + 4, true);
    if (size < 8 || size % 8 !== 0) throw new MachOError(`load command ${i} has a bad size ${size}`);
    commands.push({ cmd, offset, size });
    offset += size;
  }
  return { cpuType, ncmds, sizeofcmds, commands };
}

function segmentName(file: Uint8Array, command: LoadCommand): string {
  const raw = file.subarray(command.offset + 8, command.offset + 24);
  const end = raw.indexOf(0);
  return Buffer.from(raw.subarray(0, end === -1 ? 16 : end)).toString("latin1");
}

export interface CodeDirectoryReport {
  slot: number;
  version: number;
  hashType: string;
  pageSize: number;
  codeLimit: number;
  codeSlots: number;
  badPages: number[];
  badSpecialSlots: number[];
}

export type SignatureReport =
  | { present: false }
  | {
      present: true;
      dataOffset: number;
      dataSize: number;
      codeDirectories: CodeDirectoryReport[];
      /** Everything wrong with it, as sentences; empty when the signature verifies. */
      problems: string[];
    };

function hashOf(algorithm: string, data: Uint8Array, size: number): Buffer {
  return createHash(algorithm).update(data).digest().subarray(0, size);
}

/**
 * Verifies the embedded signature the way the kernel does for pages it maps: every code page's
 * hash in every CodeDirectory, a code limit that covers the whole file up to the signature, and
 * the special slots that hash other blobs of the signature.
 */
export function verifySignature(file: Uint8Array): SignatureReport {
  const macho = parseMachO(file);
  const command = macho.commands.find((c) => c.cmd === LC_CODE_SIGNATURE);
  if (!command) return { present: false };
  const le = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const dataOffset = le.getUint32(command.offset + 8, true);
  const dataSize = le.getUint32(command.offset + 12, true);
  const problems: string[] = [];
  if (dataOffset + dataSize > file.byteLength) {
    return {
      present: true,
      dataOffset,
      dataSize,
      codeDirectories: [],
      problems: [
        `the signature (${dataOffset}+${dataSize}) runs past the end of the file (${file.byteLength})`,
      ],
    };
  }
  const sig = file.subarray(dataOffset, dataOffset + dataSize);
  const be = new DataView(sig.buffer, sig.byteOffset, sig.byteLength);
  if (be.getUint32(0) !== CSMAGIC_EMBEDDED_SIGNATURE)
    return {
      present: true,
      dataOffset,
      dataSize,
      codeDirectories: [],
      problems: ["no embedded-signature SuperBlob"],
    };
  const count = be.getUint32(8);
  const blobs = new Map<number, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const type = be.getUint32(12 + i * 8);
    const offset = be.getUint32(16 + i * 8);
    const length = be.getUint32(offset + 4);
    blobs.set(type, sig.subarray(offset, offset + length));
  }
  const codeDirectories: CodeDirectoryReport[] = [];
  for (const [slot, blob] of blobs) {
    const isDirectory =
      slot === CSSLOT_CODEDIRECTORY ||
      (slot >= CSSLOT_ALTERNATE_CODEDIRECTORIES && slot < CSSLOT_SIGNATURESLOT);
    if (!isDirectory) continue;
    const cd = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    if (cd.getUint32(0) !== CSMAGIC_CODEDIRECTORY) {
      problems.push(`slot ${slot} is not a CodeDirectory`);
      continue;
    }
    const version = cd.getUint32(8);
    const hashOffset = cd.getUint32(16);
    const nSpecialSlots = cd.getUint32(24);
    const nCodeSlots = cd.getUint32(28);
    const codeLimit32 = cd.getUint32(32);
    const hashSize = cd.getUint8(36);
    const hashTypeId = cd.getUint8(37);
    const pageSize = 2 ** cd.getUint8(39);
    const codeLimit64 = version >= 0x20300 ? Number(cd.getBigUint64(56)) : 0;
    const codeLimit = codeLimit64 !== 0 ? codeLimit64 : codeLimit32;
    const hashType = HASH_TYPES[hashTypeId];
    const report: CodeDirectoryReport = {
      slot,
      version,
      hashType: hashType?.name ?? `unknown (${hashTypeId})`,
      pageSize,
      codeLimit,
      codeSlots: nCodeSlots,
      badPages: [],
      badSpecialSlots: [],
    };
    codeDirectories.push(report);
    if (!hashType) {
      problems.push(`CodeDirectory in slot ${slot} uses an unknown hash type ${hashTypeId}`);
      continue;
    }
    const where = `CodeDirectory ${slot} (${hashType.name})`;
    if (codeLimit !== dataOffset)
      problems.push(
        `${where}: the code limit ${codeLimit} is not where the signature starts (${dataOffset}): ${dataOffset - codeLimit} bytes are not covered`,
      );
    const expectedSlots = Math.ceil(codeLimit / pageSize);
    if (nCodeSlots !== expectedSlots)
      problems.push(`${where}: ${nCodeSlots} code slots for a code limit that needs ${expectedSlots}`);
    for (let page = 0; page < nCodeSlots; page++) {
      const start = page * pageSize;
      const end = Math.min(start + pageSize, codeLimit);
      const stored = blob.subarray(hashOffset + page * hashSize, hashOffset + (page + 1) * hashSize);
      if (start >= end || !hashOf(hashType.algorithm, file.subarray(start, end), hashSize).equals(stored))
        report.badPages.push(page);
    }
    if (report.badPages.length > 0)
      problems.push(`${where}: ${report.badPages.length} of ${nCodeSlots} page hashes are wrong`);
    for (const special of BLOB_SPECIAL_SLOTS) {
      if (special > nSpecialSlots) continue;
      const stored = blob.subarray(hashOffset - special * hashSize, hashOffset - (special - 1) * hashSize);
      const target = blobs.get(special);
      const empty = stored.every((b) => b === 0);
      const ok = target ? hashOf(hashType.algorithm, target, hashSize).equals(stored) : empty;
      if (!ok) report.badSpecialSlots.push(special);
    }
    if (report.badSpecialSlots.length > 0)
      problems.push(`${where}: special slot hashes ${report.badSpecialSlots.join(", ")} do not match`);
  }
  if (codeDirectories.length === 0) problems.push("the signature holds no CodeDirectory");
  return { present: true, dataOffset, dataSize, codeDirectories, problems };
}

/**
 * Removes the embedded signature: the LC_CODE_SIGNATURE command (later commands move up), the
 * signature bytes at the end of the file and their share of __LINKEDIT. An x86_64 macOS binary
 * runs without a signature; one that does not verify is killed. Returns the file unchanged when
 * it has no signature. Refuses a layout it does not understand rather than guess.
 */
export function stripSignature(input: Uint8Array): Uint8Array {
  const macho = parseMachO(input);
  const command = macho.commands.find((c) => c.cmd === LC_CODE_SIGNATURE);
  if (!command) return input;
  const file = new Uint8Array(input);
  const view = new DataView(file.buffer);
  const dataOffset = view.getUint32(command.offset + 8, true);
  const dataSize = view.getUint32(command.offset + 12, true);
  // The signature is the last thing in the file (codesign may pad it to 16 bytes).
  if (dataOffset + dataSize < file.byteLength - 16 || dataOffset + dataSize > file.byteLength)
    throw new MachOError("the signature is not at the end of the file");
  const linkedit = macho.commands.find(
    (c) => c.cmd === LC_SEGMENT_64 && segmentName(file, c) === "__LINKEDIT",
  );
  if (!linkedit) throw new MachOError("no __LINKEDIT segment");
  const fileOff = Number(view.getBigUint64(linkedit.offset + 40, true));
  const fileSize = Number(view.getBigUint64(linkedit.offset + 48, true));
  if (fileOff > dataOffset || fileOff + fileSize < dataOffset + dataSize - 16)
    throw new MachOError("the signature is not inside __LINKEDIT");
  for (const segment of macho.commands.filter((c) => c.cmd === LC_SEGMENT_64 && c !== linkedit)) {
    const end = Number(
      view.getBigUint64(segment.offset + 40, true) + view.getBigUint64(segment.offset + 48, true),
    );
    if (end > dataOffset)
      throw new MachOError(`segment ${segmentName(file, segment)} overlaps the signature`);
  }
  const newFileSize = dataOffset - fileOff;
  view.setBigUint64(linkedit.offset + 48, BigInt(newFileSize), true);
  // vmsize may stay larger than the file part: the rest is zero-filled, as for any segment.
  // Drop the command: shift the ones after it up and zero the freed tail of the header.
  const commandsEnd = MACH_HEADER_64_SIZE + macho.sizeofcmds;
  file.copyWithin(command.offset, command.offset + command.size, commandsEnd);
  file.fill(0, commandsEnd - command.size, commandsEnd);
  view.setUint32(16, macho.ncmds - 1, true);
  view.setUint32(20, macho.sizeofcmds - command.size, true);
  return file.subarray(0, dataOffset);
}
