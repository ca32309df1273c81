// Checks a darwin binary before it ships: a thin 64-bit Mach-O executable for the given
// architecture (no `file` needed), and a code signature that macOS will accept. An arm64 binary
// must carry a signature whose every page hash and code limit verify (macOS kills arm64 code
// without one); an x86_64 binary needs none, and must carry either none or a valid one (the
// release build strips the broken one Bun's cross-compile leaves).
// Usage: bun scripts/check-macho.ts <path> <arm64|x64>
import { CPU_TYPE, MachOError, type MachOArch, parseMachO, verifySignature } from "./macho.ts";

export function checkDarwinBinary(file: Uint8Array, arch: MachOArch): { ok: boolean; lines: string[] } {
  let macho: ReturnType<typeof parseMachO>;
  try {
    macho = parseMachO(file);
  } catch (error) {
    if (error instanceof MachOError)
      return { ok: false, lines: [`not a Mach-O ${arch} binary: ${error.message}`] };
    throw error;
  }
  if (macho.cpuType !== CPU_TYPE[arch])
    return { ok: false, lines: [`not a Mach-O ${arch} binary (cpu 0x${macho.cpuType.toString(16)})`] };
  const lines = [`Mach-O 64-bit ${arch}`];
  const signature = verifySignature(file);
  if (!signature.present) {
    if (arch === "arm64") return { ok: false, lines: [...lines, "no code signature: macOS will not run it"] };
    return { ok: true, lines: [...lines, "no code signature (x86_64 needs none)"] };
  }
  for (const cd of signature.codeDirectories)
    lines.push(
      `CodeDirectory ${cd.slot}: ${cd.hashType}, ${cd.codeSlots} pages of ${cd.pageSize}, code limit ${cd.codeLimit}, ${cd.badPages.length} bad page hashes`,
    );
  if (signature.problems.length > 0) return { ok: false, lines: [...lines, ...signature.problems] };
  return { ok: true, lines: [...lines, `code signature verifies (signature at ${signature.dataOffset})`] };
}

if (import.meta.main) {
  const [path, arch] = process.argv.slice(2);
  if (!path || !arch || !(arch in CPU_TYPE)) {
    console.error("usage: check-macho.ts <path> <arm64|x64>");
    process.exit(2);
  }
  const result = checkDarwinBinary(new Uint8Array(await Bun.file(path).arrayBuffer()), arch as MachOArch);
  for (const line of result.lines) (result.ok ? console.log : console.error)(`${path}: ${line}`);
  process.exit(result.ok ? 0 : 1);
}
