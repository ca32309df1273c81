// Shared by the bench scripts: build the binaries once with the product's flags, then time
// commands interleaved (A B C A B C …) so machine noise hits every contender alike.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { COMPILE_FLAGS, buildTarget, hostTarget } from "../scripts/build.ts";

export const BENCH_ROOT = resolve(import.meta.dir);
export const OUT = join(BENCH_ROOT, ".out");

/** Nothing of the real environment may reach a bench pool; never the network either. */
export function sanitizedRoot(): string {
  for (const key of Object.keys(process.env)) {
    if (/^(ANTHROPIC_|CLAUDE_|CCP_)/.test(key)) delete process.env[key];
  }
  const root = mkdtempSync(join(tmpdir(), "ccp-bench-"));
  process.env.CCP_TEST_ROOT = root;
  process.env.HOME = join(root, "home");
  mkdirSync(process.env.HOME, { recursive: true });
  process.env.CCP_DAEMON_AUTOSTART = "0";
  return root;
}

export async function buildCcp(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  await buildTarget(hostTarget(), OUT);
  return join(OUT, hostTarget(), "ccp");
}

/** Compiles one TypeScript file with exactly the product's flags. */
export async function buildLikeProduct(entry: string, name: string): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const bin = join(OUT, name);
  const p = Bun.spawn(
    [process.execPath, "build", ...COMPILE_FLAGS, `--target=bun-${hostTarget()}`, entry, `--outfile=${bin}`],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`building ${entry} failed:\n${stderr}`);
  return bin;
}

/** The floor any compiled Bun program pays: console.log, the cheapest way to print (no stream). */
export function buildHelloWorld(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const src = join(OUT, "hello.ts");
  writeFileSync(src, 'console.log("hello");\n');
  return buildLikeProduct(src, "hello");
}

/** claude stand-in that records when it started; undefined without a C compiler. */
export function buildClaudeStamp(): string | undefined {
  mkdirSync(OUT, { recursive: true });
  const bin = join(OUT, "claude-stamp");
  for (const cc of ["cc", "gcc", "clang"]) {
    const p = Bun.spawnSync([cc, "-O2", "-o", bin, join(BENCH_ROOT, "claude-stamp.c")], {
      stdout: "ignore",
      stderr: "ignore",
    });
    if (p.exitCode === 0) return bin;
  }
  return undefined;
}

export function residentKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

export interface Contender {
  name: string;
  cmd: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Extra series from one run: the wall-clock µs just before the spawn, and its duration. */
  extra?: (startedWallUs: number) => Record<string, number>;
}

function runOnce(c: Contender): { ms: number; cpuMs: number; extra: Record<string, number> } {
  const env = { ...(process.env as Record<string, string>), ...c.env };
  const startedWallUs = (performance.timeOrigin + performance.now()) * 1000;
  const started = Bun.nanoseconds();
  const p = Bun.spawnSync(c.cmd, { env, cwd: c.cwd, stdout: "ignore", stderr: "pipe" });
  const ms = (Bun.nanoseconds() - started) / 1e6;
  if (p.exitCode !== 0) {
    throw new Error(`${c.name} exited ${p.exitCode}: ${c.cmd.join(" ")}\n${p.stderr.toString()}`);
  }
  const cpuMs = Number(p.resourceUsage?.cpuTime.total ?? Number.NaN) / 1000;
  return { ms, cpuMs, extra: c.extra?.(startedWallUs) ?? {} };
}

/** The series of a contender's CPU time (user + system), less sensitive to a loaded machine. */
export function cpuKey(name: string): string {
  return `${name} (cpu)`;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Runs every contender `rounds` times, interleaved, after `warmup` untimed rounds; `beforeRound`
 * runs untimed before each round. Returns the median of every series.
 */
export function interleave(
  contenders: Contender[],
  rounds: number,
  warmup: number,
  beforeRound?: () => void,
): Map<string, number> {
  const times = new Map<string, number[]>();
  const push = (name: string, v: number) => {
    const list = times.get(name) ?? [];
    list.push(v);
    times.set(name, list);
  };
  for (let r = 0; r < warmup + rounds; r++) {
    beforeRound?.();
    for (const c of contenders) {
      const { ms, cpuMs, extra } = runOnce(c);
      if (r < warmup) continue;
      push(c.name, ms);
      push(cpuKey(c.name), cpuMs);
      for (const [k, v] of Object.entries(extra)) push(k, v);
    }
  }
  return new Map([...times].map(([name, t]) => [name, median(t)]));
}
