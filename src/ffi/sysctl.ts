// Raw macOS process-table bindings from libSystem: proc_listallpids, proc_pidinfo
// (PROC_PIDTBSDINFO, for the parent pid) and sysctl KERN_PROCARGS2 (argv and environment of a
// process). No policy here; the daemon's process scan parses what these return.
import { dlopen, ptr } from "bun:ffi";

export const LIBSYSTEM_PATH = "/usr/lib/libSystem.B.dylib";

const CTL_KERN = 1;
const KERN_ARGMAX = 8;
const KERN_PROCARGS2 = 49;
const PROC_PIDTBSDINFO = 3;
/** sizeof(struct proc_bsdinfo) */
const PROC_BSDINFO_SIZE = 136;
/** offsetof(struct proc_bsdinfo, pbi_ppid) */
const PBI_PPID_OFFSET = 16;
/** Used when kern.argmax cannot be read; macOS has used 1 MiB for years. */
const FALLBACK_ARGMAX = 1024 * 1024;

const SYMBOLS = {
  sysctl: { args: ["ptr", "u32", "ptr", "ptr", "ptr", "u64"], returns: "i32" },
  proc_listallpids: { args: ["ptr", "i32"], returns: "i32" },
  proc_pidinfo: { args: ["i32", "i32", "u64", "ptr", "i32"], returns: "i32" },
} as const;

export interface ProcessTable {
  /** Every pid on the system (pids of other users included; their details may be unreadable). */
  listPids(): number[];
  parentPid(pid: number): number | null;
  /** The raw KERN_PROCARGS2 buffer, or null when the process is gone or not ours to read. */
  procArgs2(pid: number): Uint8Array | null;
  close(): void;
}

/** dlopens libSystem (or a stand-in exporting the same names) at `path`. Throws if it cannot. */
export function openProcessTable(path: string = LIBSYSTEM_PATH): ProcessTable {
  const lib = dlopen(path, SYMBOLS);
  const s = lib.symbols;

  const argMax = ((): number => {
    const mib = new Int32Array([CTL_KERN, KERN_ARGMAX]);
    const out = new Int32Array(1);
    const len = new BigUint64Array([4n]);
    const rc = s.sysctl(ptr(mib), 2, ptr(out), ptr(len), null, 0n);
    const value = out[0] ?? 0;
    return rc === 0 && value > 0 ? value : FALLBACK_ARGMAX;
  })();
  const argsBuffer = new Uint8Array(argMax);
  const info = new Uint8Array(PROC_BSDINFO_SIZE);
  const infoView = new DataView(info.buffer);

  return {
    listPids(): number[] {
      const count = s.proc_listallpids(null, 0);
      if (count <= 0) return [];
      // Room for processes started between the two calls.
      const pids = new Int32Array(count + 64);
      const n = s.proc_listallpids(ptr(pids), pids.byteLength);
      if (n <= 0) return [];
      return Array.from(pids.subarray(0, Math.min(n, pids.length))).filter((pid) => pid > 0);
    },
    parentPid(pid: number): number | null {
      const n = s.proc_pidinfo(pid, PROC_PIDTBSDINFO, 0n, ptr(info), PROC_BSDINFO_SIZE);
      if (n < PROC_BSDINFO_SIZE) return null;
      return infoView.getUint32(PBI_PPID_OFFSET, true);
    },
    procArgs2(pid: number): Uint8Array | null {
      const mib = new Int32Array([CTL_KERN, KERN_PROCARGS2, pid]);
      const len = new BigUint64Array([BigInt(argsBuffer.byteLength)]);
      const rc = s.sysctl(ptr(mib), 3, ptr(argsBuffer), ptr(len), null, 0n);
      if (rc !== 0) return null;
      return argsBuffer.slice(0, Number(len[0]));
    },
    close(): void {
      lib.close();
    },
  };
}
