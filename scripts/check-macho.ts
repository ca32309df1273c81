// Checks that a file is a 64-bit Mach-O executable for the given architecture (no `file` needed).
export {};
// Usage: bun scripts/check-macho.ts <path> <arm64|x64>
const CPU_TYPE: Record<string, number> = { arm64: 0x0100000c, x64: 0x01000007 };
const MH_MAGIC_64 = 0xfeedfacf;

const [path, arch] = process.argv.slice(2);
if (!path || !arch || !(arch in CPU_TYPE)) {
  console.error("usage: check-macho.ts <path> <arm64|x64>");
  process.exit(2);
}
const head = new DataView((await Bun.file(path).slice(0, 8).arrayBuffer()) as ArrayBuffer);
const magic = head.getUint32(0, true);
const cpu = head.getUint32(4, true);
if (magic !== MH_MAGIC_64 || cpu !== CPU_TYPE[arch]) {
  console.error(
    `${path}: not a Mach-O ${arch} binary (magic 0x${magic.toString(16)}, cpu 0x${cpu.toString(16)})`,
  );
  process.exit(1);
}
console.log(`${path}: Mach-O 64-bit ${arch}`);
