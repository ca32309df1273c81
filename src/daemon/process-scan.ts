// Finds claude sessions started outside `ccp run` (`CLAUDE_CONFIG_DIR=$(ccp select) claude`) by
// reading each process's environment: /proc/<pid>/environ on Linux, sysctl KERN_PROCARGS2 on macOS.
// Only the topmost process of a tree counts: claude's own children inherit the variable.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";

export const CONFIG_DIR_VAR = "CLAUDE_CONFIG_DIR";

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** CLAUDE_CONFIG_DIR of the process, null when unset or unreadable. */
  configDir: string | null;
}

export interface ProcessLister {
  list(): ProcessEntry[];
  /** The working directory of a process, when the platform tells. */
  cwd(pid: number): string | null;
}

export interface FoundSession {
  pid: number;
  accountId: number;
}

/** The form configDir strings are compared in: absolute, no trailing slash. */
export function normalizeConfigDir(dir: string): string {
  const r = resolve(dir);
  return r.length > 1 ? r.replace(/\/+$/, "") : r;
}

const VAR_PREFIX = Buffer.from(`${CONFIG_DIR_VAR}=`);

/** CLAUDE_CONFIG_DIR from a NUL-separated environment block, or null. */
export function configDirFromEnviron(block: Uint8Array): string | null {
  const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  let at = buf.indexOf(VAR_PREFIX);
  while (at >= 0) {
    if (at === 0 || buf[at - 1] === 0) {
      const start = at + VAR_PREFIX.length;
      const end = buf.indexOf(0, start);
      const value = buf.toString("utf8", start, end < 0 ? buf.length : end);
      return value === "" ? null : value;
    }
    at = buf.indexOf(VAR_PREFIX, at + 1);
  }
  return null;
}

/**
 * Splits a KERN_PROCARGS2 buffer: a 32-bit argc, the executable path, NUL padding, argc argument
 * strings, then the environment strings up to an empty one. Null when malformed.
 */
export function parseProcArgs2(buf: Uint8Array): { execPath: string; argv: string[]; env: string[] } | null {
  if (buf.byteLength < 4) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const argc = view.getInt32(0, true);
  if (argc < 0 || argc > 1_000_000) return null;
  const decoder = new TextDecoder();
  let pos = 4;
  const readString = (): string | null => {
    if (pos >= buf.byteLength) return null;
    let end = buf.indexOf(0, pos);
    if (end < 0) end = buf.byteLength;
    const text = decoder.decode(buf.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const execPath = readString();
  if (execPath === null) return null;
  while (pos < buf.byteLength && buf[pos] === 0) pos++;
  const argv: string[] = [];
  for (let i = 0; i < argc; i++) {
    const arg = readString();
    if (arg === null) return null;
    argv.push(arg);
  }
  const env: string[] = [];
  for (;;) {
    const entry = readString();
    if (entry === null || entry === "") break;
    env.push(entry);
  }
  return { execPath, argv, env };
}

/**
 * The claude sessions among `processes`: processes whose CLAUDE_CONFIG_DIR is an account dir and
 * whose ancestors neither carry the same dir (they are that session's children) nor are in
 * `coveredPids` (the `ccp run` shims, which already record their session, and cc-pool itself).
 */
export function findSessions(
  processes: readonly ProcessEntry[],
  accountDirs: ReadonlyMap<string, number>,
  coveredPids: ReadonlySet<number>,
): FoundSession[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const found: FoundSession[] = [];
  for (const p of processes) {
    if (p.configDir === null || coveredPids.has(p.pid)) continue;
    const dir = normalizeConfigDir(p.configDir);
    const accountId = accountDirs.get(dir);
    if (accountId === undefined) continue;
    let top = true;
    let parent = byPid.get(p.ppid);
    for (let depth = 0; parent && depth < 256; depth++) {
      if (coveredPids.has(parent.pid)) {
        top = false;
        break;
      }
      if (parent.configDir !== null && normalizeConfigDir(parent.configDir) === dir) {
        top = false;
        break;
      }
      if (parent.ppid === parent.pid) break;
      parent = byPid.get(parent.ppid);
    }
    if (top) found.push({ pid: p.pid, accountId });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

function readPpid(statText: string): number | null {
  // `pid (comm) state ppid …`; comm may itself contain spaces and parentheses.
  const close = statText.lastIndexOf(")");
  if (close < 0) return null;
  const fields = statText.slice(close + 2).split(" ");
  const ppid = Number.parseInt(fields[1] ?? "", 10);
  return Number.isInteger(ppid) ? ppid : null;
}

/** Lists processes from a procfs mount. Processes we may not read keep configDir null. */
export function procfsLister(procRoot = "/proc"): ProcessLister {
  return {
    list(): ProcessEntry[] {
      const out: ProcessEntry[] = [];
      let names: string[];
      try {
        names = readdirSync(procRoot);
      } catch {
        return out;
      }
      for (const name of names) {
        if (!/^\d+$/.test(name)) continue;
        const pid = Number(name);
        let ppid: number | null = null;
        try {
          ppid = readPpid(readFileSync(join(procRoot, name, "stat"), "latin1"));
        } catch {
          continue;
        }
        if (ppid === null) continue;
        let configDir: string | null = null;
        try {
          configDir = configDirFromEnviron(readFileSync(join(procRoot, name, "environ")));
        } catch {
          configDir = null;
        }
        out.push({ pid, ppid, configDir });
      }
      return out;
    },
    cwd(pid: number): string | null {
      try {
        return readlinkSync(join(procRoot, String(pid), "cwd"));
      } catch {
        return null;
      }
    },
  };
}

/** Lists processes through the macOS process table (bun:ffi, loaded only when called). */
export async function darwinLister(libPath?: string): Promise<ProcessLister> {
  const { openProcessTable } = await import("../ffi/sysctl.ts");
  const table = openProcessTable(libPath);
  return {
    list(): ProcessEntry[] {
      const out: ProcessEntry[] = [];
      for (const pid of table.listPids()) {
        const ppid = table.parentPid(pid);
        if (ppid === null) continue;
        const args = table.procArgs2(pid);
        const parsed = args ? parseProcArgs2(args) : null;
        const entry = parsed?.env.find((e) => e.startsWith(`${CONFIG_DIR_VAR}=`));
        const value = entry?.slice(CONFIG_DIR_VAR.length + 1) ?? "";
        out.push({ pid, ppid, configDir: value === "" ? null : value });
      }
      return out;
    },
    cwd: () => null,
  };
}

/** The lister for this platform, or null where cc-pool cannot scan processes. */
export async function platformLister(
  platform: NodeJS.Platform = process.platform,
): Promise<ProcessLister | null> {
  if (platform === "linux") return procfsLister();
  if (platform === "darwin") return darwinLister();
  return null;
}
