// `bun run bench`: builds ccp, a console.log hello-world and a reference select (bench/
// reference-select.ts) with the product's compile flags, times them in one interleaved run, and
// prints each contender's median with its ratio to the right baseline, then the shim's and the
// daemon's resident memory. Linux only (reads /proc). Never run by the tests; CI runs it once with
// --quick as a smoke test and asserts nothing about the figures.
// Usage: bun run bench [--quick] [rounds]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { measureDaemon } from "./daemon.ts";
import {
  BENCH_ROOT,
  type Contender,
  buildCcp,
  buildClaudeStamp,
  buildHelloWorld,
  buildLikeProduct,
  cpuKey,
  interleave,
  residentKb,
  sanitizedRoot,
} from "./lib.ts";
import { heartbeat, warmPool } from "./pools.ts";
import { makeReferenceDb } from "./reference-db.ts";

if (process.platform !== "linux") {
  console.error("bun run bench reads /proc: run it on Linux.");
  process.exit(1);
}
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? (quick ? 5 : 40));
const warmup = quick ? 1 : 3;
const daemonSweeps = quick ? 2 : 10;

const root = sanitizedRoot();
async function shimMemoryKb(ccp: string, vars: Record<string, string>): Promise<number> {
  const claude = join(root, "claude-sleep");
  writeFileSync(claude, "#!/bin/sh\nexec sleep 3\n", { mode: 0o755 });
  heartbeat(vars);
  const shim = Bun.spawn([ccp, "run"], {
    env: { ...vars, CCP_CLAUDE_BIN: claude },
    stdio: ["ignore", "ignore", "ignore"],
  });
  await Bun.sleep(1500);
  const kb = residentKb(shim.pid);
  await shim.exited;
  return kb;
}

try {
  console.error("building ccp, the hello-world, the reference select and the claude stand-in…");
  const [ccp, hello, reference] = await Promise.all([
    buildCcp(),
    buildHelloWorld(),
    buildLikeProduct(join(BENCH_ROOT, "reference-select.ts"), "reference-select"),
  ]);
  const stamp = buildClaudeStamp();
  const small = warmPool(root, 2);
  const large = warmPool(root, 100);
  const ref2 = join(root, "reference-2.db");
  const ref100 = join(root, "reference-100.db");
  makeReferenceDb(ref2, 2);
  makeReferenceDb(ref100, 100);
  const cwd = join(root, "project");
  mkdirSync(cwd, { recursive: true });
  const stampFile = join(root, "claude-started");
  const contenders: Contender[] = [
    { name: "hello-world", cmd: [hello] },
    { name: "ccp --version", cmd: [ccp, "--version"] },
    { name: "ccp help", cmd: [ccp, "help"], env: small },
    { name: "reference select (2)", cmd: [reference, ref2], cwd },
    { name: "ccp select (2)", cmd: [ccp, "select"], env: small, cwd },
    { name: "reference select (100)", cmd: [reference, ref100], cwd },
    { name: "ccp select (100)", cmd: [ccp, "select"], env: large, cwd },
    { name: "ccp status --plain (2)", cmd: [ccp, "status", "--plain"], env: small, cwd },
    {
      name: "ccp run, whole (2)",
      cmd: [ccp, "run"],
      env: { ...small, CCP_CLAUDE_BIN: stamp ?? "/bin/true", CCP_BENCH_STAMP: stampFile },
      cwd,
      extra: (startedWallUs): Record<string, number> => {
        if (!stamp) return {};
        const started = Number(readFileSync(stampFile, "utf8"));
        return { "ccp run until claude starts (2)": (started - startedWallUs) / 1000 };
      },
    },
  ];
  const m = interleave(contenders, rounds, warmup, () => {
    heartbeat(small);
    heartbeat(large);
  });
  const get = (name: string): number => m.get(name) ?? Number.NaN;
  type Row = [string, number, string, number, number];
  // [what, median ms, baseline name, baseline ms, goal as a ratio (NaN: none)]
  const rows: Row[] = [
    ["hello-world (console.log)", get("hello-world"), "", Number.NaN, Number.NaN],
    ["ccp --version", get("ccp --version"), "hello-world", get("hello-world"), 1.5],
    ["ccp help", get("ccp help"), "hello-world", get("hello-world"), Number.NaN],
    ["reference select (2)", get("reference select (2)"), "", Number.NaN, Number.NaN],
    ["ccp select (2)", get("ccp select (2)"), "reference select (2)", get("reference select (2)"), 1.5],
    ["reference select (100)", get("reference select (100)"), "", Number.NaN, Number.NaN],
    [
      "ccp select (100)",
      get("ccp select (100)"),
      "reference select (100)",
      get("reference select (100)"),
      1.5,
    ],
    ["ccp select (100)", get("ccp select (100)"), "ccp select (2)", get("ccp select (2)"), 1.2],
    [
      "ccp status --plain (2)",
      get("ccp status --plain (2)"),
      "reference select (2)",
      get("reference select (2)"),
      2,
    ],
    ["ccp run, whole (2)", get("ccp run, whole (2)"), "ccp select (2)", get("ccp select (2)"), Number.NaN],
  ];
  const out: string[] = [];
  out.push(`bun run bench: median of ${rounds} interleaved runs each (${warmup} warm-up rounds)`);
  out.push("");
  out.push("| what | median | baseline | ratio | goal | met | cpu | cpu ratio |");
  out.push("|---|---:|---|---:|---:|:-:|---:|---:|");
  const cpuOf = (what: string): number => get(cpuKey(what.replace(" (console.log)", "")));
  for (const [what, ms, baseName, baseMs, goal] of rows) {
    const ratio = baseName ? ms / baseMs : Number.NaN;
    const cpu = cpuOf(what);
    const cpuRatio = baseName ? cpu / cpuOf(baseName) : Number.NaN;
    out.push(
      `| ${what} | ${ms.toFixed(2)} ms | ${baseName || "—"} | ${baseName ? `${ratio.toFixed(2)}×` : "—"} | ${Number.isNaN(goal) ? "—" : `≤ ${goal}×`} | ${Number.isNaN(goal) ? "" : ratio <= goal ? "yes" : "NO"} | ${cpu.toFixed(2)} ms | ${baseName ? `${cpuRatio.toFixed(2)}×` : "—"} |`,
    );
  }
  const untilStart = get("ccp run until claude starts (2)");
  if (stamp) {
    const over = untilStart - get("ccp select (2)");
    out.push(
      `| ccp run until claude starts (2) | ${untilStart.toFixed(2)} ms | ccp select (2) | +${over.toFixed(2)} ms | ≤ +3 ms | ${over <= 3 ? "yes" : "NO"} |`,
    );
  } else {
    out.push("| ccp run until claude starts (2) | (no C compiler for the stand-in) | | | | |");
  }
  console.log(out.join("\n"));
  const shimKb = await shimMemoryKb(ccp, small);
  console.log(
    `| shim resident while claude runs | ${(shimKb / 1024).toFixed(1)} MiB | | | ≤ 30 MB | ${shimKb * 1024 <= 30e6 ? "yes" : "NO"} |`,
  );
  const d = await measureDaemon([ccp], 20, daemonSweeps);
  console.log(
    `| daemon resident after ${d.sweeps} sweeps of ${d.accounts} accounts | ${(d.rssKb / 1024).toFixed(1)} MiB (peak ${(d.peakRssKb / 1024).toFixed(1)}) | | | ≤ 45 MB | ${d.rssKb * 1024 <= 45e6 ? "yes" : "NO"} |`,
  );
  console.log(
    `| daemon CPU per poll / between polls | ${d.cpuMsPerPoll.toFixed(2)} ms / ${d.idleCpuMsPerS.toFixed(1)} ms/s | | | ~0 between | ${d.idleCpuMsPerS <= 10 ? "yes" : "NO"} |`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
