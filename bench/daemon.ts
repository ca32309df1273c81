// The daemon's footprint: resident memory after N sweeps of a pool of M accounts, CPU time per
// poll and CPU while idle between polls, read from /proc (Linux), against the fake Anthropic server.
// `bun run bench` calls measureDaemon(); alone: bun bench/daemon.ts [--source] [accounts] [sweeps]
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export interface DaemonFigures {
  accounts: number;
  sweeps: number;
  polls: number;
  firstSweepRssKb: number;
  rssKb: number;
  peakRssKb: number;
  cpuMsPerPoll: number;
  /** CPU time per second of wall time over a window without polls. */
  idleCpuMsPerS: number;
  startupCpuMs: number;
}

const CLK_TCK = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** CPU time of every thread of pid, from schedstat (nanoseconds; /proc/pid/stat counts 10 ms ticks). */
function cpuMs(pid: number): number {
  let ns = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "latin1").split(" ")[0]);
    }
    return ns / 1e6;
  } catch {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the comm).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  }
}

function statusKb(pid: number, key: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}:`));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

/** Needs sanitizedRoot() (bench/lib.ts) first: the pool lives under CCP_TEST_ROOT. */
export async function measureDaemon(cmd: string[], accounts: number, sweeps: number): Promise<DaemonFigures> {
  const { startFakeAnthropic } = await import("../tests/helpers/fake-anthropic.ts");
  const { makePool } = await import("../tests/helpers/pool.ts");
  const { openDb } = await import("../src/store/db.ts");
  const fake = await startFakeAnthropic();
  const pool = await makePool(
    fake,
    Array.from({ length: accounts }, (_, i) => ({ name: `bench-${i + 1}`, util5Pct: i, util7Pct: 2 * i })),
  );
  const proc = Bun.spawn([...cmd, "daemon"], {
    env: { ...pool.vars, CCP_POLL_INTERVAL: "2s" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const dbPath = join(pool.vars.CCP_HOME as string, "pool.db");
  const polls = (): number => {
    const db = openDb(dbPath);
    try {
      return db.query<{ n: number }, []>("SELECT count(*) AS n FROM usage_samples").get()?.n ?? 0;
    } finally {
      db.close();
    }
  };
  const waitPolls = async (n: number): Promise<void> => {
    const deadline = Date.now() + 120_000;
    while (polls() < n) {
      if (proc.exitCode !== null) throw new Error(`the daemon exited with ${proc.exitCode}`);
      if (Date.now() > deadline) throw new Error(`fewer than ${n} polls after 2 minutes`);
      await Bun.sleep(20);
    }
  };
  try {
    await waitPolls(accounts);
    const firstPolls = polls();
    const firstCpu = cpuMs(proc.pid);
    const firstSweepRssKb = statusKb(proc.pid, "VmRSS");
    await waitPolls(accounts * sweeps);
    const lastPolls = polls();
    const lastCpu = cpuMs(proc.pid);
    // Idle: a window in which no poll happened (tried a few times; polls come every 2 s).
    let idleCpuMsPerS = Number.NaN;
    for (let attempt = 0; attempt < 10 && Number.isNaN(idleCpuMsPerS); attempt++) {
      const p0 = polls();
      const c0 = cpuMs(proc.pid);
      const t0 = performance.now();
      await Bun.sleep(700);
      if (polls() === p0) idleCpuMsPerS = ((cpuMs(proc.pid) - c0) * 1000) / (performance.now() - t0);
    }
    return {
      accounts,
      sweeps,
      polls: lastPolls,
      firstSweepRssKb,
      rssKb: statusKb(proc.pid, "VmRSS"),
      peakRssKb: statusKb(proc.pid, "VmHWM"),
      cpuMsPerPoll: (lastCpu - firstCpu) / Math.max(1, lastPolls - firstPolls),
      idleCpuMsPerS,
      startupCpuMs: firstCpu,
    };
  } finally {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await proc.exited;
    clearTimeout(timer);
    await fake.stop();
  }
}

if (import.meta.main) {
  if (process.platform !== "linux") {
    console.error("bench/daemon.ts reads /proc: run it on Linux.");
    process.exit(1);
  }
  const { buildCcp, sanitizedRoot } = await import("./lib.ts");
  const { rmSync } = await import("node:fs");
  const root = sanitizedRoot();
  const args = process.argv.slice(2);
  const fromSource = args.includes("--source");
  const [accountsArg, sweepsArg] = args.filter((a) => !a.startsWith("--"));
  const cmd = fromSource ? [process.execPath, resolve(import.meta.dir, "../src/cli.ts")] : [await buildCcp()];
  try {
    const f = await measureDaemon(cmd, Number(accountsArg ?? 20), Number(sweepsArg ?? 10));
    console.log(
      `daemon: ${fromSource ? "bun src/cli.ts" : "compiled binary"}, ${f.accounts} accounts, ${f.polls} polls`,
    );
    console.log(`resident after the first sweep: ${(f.firstSweepRssKb / 1024).toFixed(1)} MiB`);
    console.log(
      `resident after ${f.sweeps} sweeps:   ${(f.rssKb / 1024).toFixed(1)} MiB (peak ${(f.peakRssKb / 1024).toFixed(1)} MiB)`,
    );
    console.log(`CPU per poll (user+sys):     ${f.cpuMsPerPoll.toFixed(2)} ms`);
    console.log(`CPU between polls:           ${f.idleCpuMsPerS.toFixed(2)} ms/s`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
