// Finds claude sessions started outside `ccp run` (`CLAUDE_CONFIG_DIR=$(ccp select) claude`) by
// reading each process's environment: /proc/<pid>/environ on Linux, sysctl KERN_PROCARGS2 on macOS.
// Only claude itself counts (its executable or argv), and only the topmost one of a tree: claude's
// own children, and orphans they leave behind, inherit the variable too.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";

export const CONFIG_DIR_VAR = "CLAUDE_CONFIG_DIR";

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** CLAUDE_CONFIG_DIR of the process, null when unset or unreadable. */
  configDir: string | null;
  /**
   * Whether the process is claude itself (by its executable or argv), undefined when unknown. A
   * process that merely inherited CLAUDE_CONFIG_DIR (`nohup sleep 600 &` from claude's Bash
   * tool, which outlives the session) is not a session.
   */
  isClaude?: boolean;
}

/**
 * True when an executable path or argv names Claude Code: a `claude` binary (npm's platform
 * package, Homebrew, a link on PATH), the native installer's `…/claude/versions/<x.y.z>`, or
 * node running the npm package's `cli.js`.
 */
export function looksLikeClaude(exe: string | null, argv: readonly string[]): boolean {
  const base = (p: string): string => p.slice(p.lastIndexOf("/") + 1);
  const isClaudePath = (p: string): boolean =>
    /^claude(\.exe)?$/.test(base(p)) || /\/claude\/versions\/\d+\.\d+\.\d+[^/]*$/.test(p);
  if (exe && isClaudePath(exe)) return true;
  if (argv[0] !== undefined && isClaudePath(argv[0])) return true;
  return argv.slice(1, 3).some((a) => /@anthropic-ai\/claude-code\/cli\.m?js$/.test(a));
}

export interface ProcessLister {
  /** Every process, each one read afresh. */
  list(): ProcessEntry[];
  /** The working directory of a process, when the platform tells. */
  cwd(pid: number): string | null;
  /** The pids that exist now, without reading any process (for scans of new processes only). */
  pids?(): number[];
  /** One process, read afresh; null when it is gone. */
  read?(pid: number): ProcessEntry | null;
}

/**
 * A process scan that remembers what it read. Reading a process (its environment above all) is
 * what a scan costs; a process's CLAUDE_CONFIG_DIR is fixed when it starts, so between full scans
 * only pids not seen before are read. A full scan reads everything again: it catches a process
 * that exec'd into claude under a pid already seen, and a pid reused by a new process.
 */
export class ProcessScanner {
  private known = new Map<number, ProcessEntry>();

  constructor(readonly lister: ProcessLister) {}

  list(full: boolean): ProcessEntry[] {
    const { pids, read } = this.lister;
    if (full || !pids || !read) {
      const all = this.lister.list();
      this.known = new Map(all.map((p) => [p.pid, p]));
      return all;
    }
    const next = new Map<number, ProcessEntry>();
    for (const pid of pids.call(this.lister)) {
      const entry = this.known.get(pid) ?? read.call(this.lister, pid);
      if (entry) next.set(pid, entry);
    }
    this.known = next;
    return [...next.values()];
  }

  cwd(pid: number): string | null {
    return this.lister.cwd(pid);
  }
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
    if (p.configDir === null || coveredPids.has(p.pid) || p.isClaude === false) continue;
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
  const pids = (): number[] => {
    let names: string[];
    try {
      names = readdirSync(procRoot);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const name of names) if (/^\d+$/.test(name)) out.push(Number(name));
    return out;
  };
  const read = (pid: number): ProcessEntry | null => {
    const dir = join(procRoot, String(pid));
    let ppid: number | null = null;
    try {
      ppid = readPpid(readFileSync(join(dir, "stat"), "latin1"));
    } catch {
      return null;
    }
    if (ppid === null) return null;
    let configDir: string | null = null;
    try {
      configDir = configDirFromEnviron(readFileSync(join(dir, "environ")));
    } catch {
      configDir = null;
    }
    if (configDir === null) return { pid, ppid, configDir };
    let exe: string | null = null;
    let argv: string[] = [];
    try {
      exe = readlinkSync(join(dir, "exe"));
    } catch {
      exe = null;
    }
    try {
      argv = readFileSync(join(dir, "cmdline"), "utf8")
        .split("\0")
        .filter((a) => a !== "");
    } catch {
      argv = [];
    }
    // Nothing readable about what it runs: unknown, so it is not ruled out.
    const isClaude = exe === null && argv.length === 0 ? undefined : looksLikeClaude(exe, argv);
    return isClaude === undefined ? { pid, ppid, configDir } : { pid, ppid, configDir, isClaude };
  };
  return {
    pids,
    read,
    list(): ProcessEntry[] {
      const out: ProcessEntry[] = [];
      for (const pid of pids()) {
        const entry = read(pid);
        if (entry) out.push(entry);
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
  const read = (pid: number): ProcessEntry | null => {
    const ppid = table.parentPid(pid);
    if (ppid === null) return null;
    const args = table.procArgs2(pid);
    const parsed = args ? parseProcArgs2(args) : null;
    const entry = parsed?.env.find((e) => e.startsWith(`${CONFIG_DIR_VAR}=`));
    const value = entry?.slice(CONFIG_DIR_VAR.length + 1) ?? "";
    if (value === "" || !parsed) return { pid, ppid, configDir: value === "" ? null : value };
    return { pid, ppid, configDir: value, isClaude: looksLikeClaude(parsed.execPath, parsed.argv) };
  };
  return {
    pids: () => table.listPids(),
    read,
    list(): ProcessEntry[] {
      const out: ProcessEntry[] = [];
      for (const pid of table.listPids()) {
        const entry = read(pid);
        if (entry) out.push(entry);
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
