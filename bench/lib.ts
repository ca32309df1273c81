// Shared by the bench scripts: build the binaries once, then time commands interleaved (A B C A B
// C …) so machine noise hits every contender alike, and report medians and ratios.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildTarget, hostTarget } from "../scripts/build.ts";

export const BENCH_ROOT = resolve(import.meta.dir);
export const OUT = join(BENCH_ROOT, ".out");

export async function buildCcp(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  await buildTarget(hostTarget(), OUT);
  return join(OUT, hostTarget(), "ccp");
}

/** A compiled Bun hello-world: the floor any compiled Bun program pays to start. */
export async function buildHelloWorld(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const src = join(OUT, "hello.ts");
  const bin = join(OUT, "hello");
  writeFileSync(src, 'process.stdout.write("hello\\n");\n');
  const p = Bun.spawnSync([
    process.execPath,
    "build",
    "--compile",
    "--minify",
    "--bytecode",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    src,
    `--outfile=${bin}`,
  ]);
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return bin;
}

export interface Contender {
  name: string;
  cmd: string[];
  env?: Record<string, string>;
  cwd?: string;
}

function runOnce(c: Contender): number {
  const started = Bun.nanoseconds();
  const p = Bun.spawnSync(c.cmd, {
    env: { ...(process.env as Record<string, string>), ...c.env },
    cwd: c.cwd,
    stdout: "ignore",
    stderr: "ignore",
  });
  const ms = (Bun.nanoseconds() - started) / 1e6;
  if (p.exitCode !== 0) throw new Error(`${c.name} exited ${p.exitCode}: ${c.cmd.join(" ")}`);
  return ms;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Runs every contender `rounds` times, interleaved, after `warmup` untimed rounds. */
export function interleave(contenders: Contender[], rounds = 40, warmup = 3): Map<string, number> {
  const times = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const c of contenders) {
      const ms = runOnce(c);
      if (r >= warmup) times.get(c.name)?.push(ms);
    }
  }
  return new Map([...times].map(([name, t]) => [name, median(t)]));
}

export function report(medians: Map<string, number>, baseline: string): void {
  const base = medians.get(baseline) as number;
  for (const [name, ms] of medians) {
    console.log(
      `${name.padEnd(34)} ${ms.toFixed(2).padStart(8)} ms   ${(ms / base).toFixed(2)}x ${baseline}`,
    );
  }
}
