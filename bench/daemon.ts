// The daemon's footprint: resident memory after 10 sweeps of a 20-account pool, and CPU time per
// poll, read from /proc (Linux). Runs the compiled binary against the fake Anthropic server.
// Usage: bun bench/daemon.ts [--source] [accounts] [sweeps]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

if (process.platform !== "linux") {
  console.error("bench/daemon.ts reads /proc: run it on Linux.");
  process.exit(1);
}
// Same hygiene as the test preload: nothing of the real environment may reach the pool.
for (const key of Object.keys(process.env)) {
  if (/^(ANTHROPIC_|CLAUDE_|CCP_)/.test(key)) delete process.env[key];
}
const root = mkdtempSync(join(tmpdir(), "ccp-bench-"));
process.env.CCP_TEST_ROOT = root;
process.env.HOME = join(root, "home");

const args = process.argv.slice(2);
const fromSource = args.includes("--source");
const [accountsArg, sweepsArg] = args.filter((a) => !a.startsWith("--"));
const ACCOUNTS = Number(accountsArg ?? 20);
const SWEEPS = Number(sweepsArg ?? 10);

const { startFakeAnthropic } = await import("../tests/helpers/fake-anthropic.ts");
const { makePool } = await import("../tests/helpers/pool.ts");
const { openDb } = await import("../src/store/db.ts");
const { buildCcp } = await import("./lib.ts");

const CLK_TCK = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line (11 and 12 after the comm).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function statusKb(pid: number, key: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}:`));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

const fake = await startFakeAnthropic();
const pool = await makePool(
  fake,
  Array.from({ length: ACCOUNTS }, (_, i) => ({ name: `bench-${i + 1}`, util5Pct: i, util7Pct: 2 * i })),
);
const cmd = fromSource
  ? [process.execPath, resolve(import.meta.dir, "../src/cli.ts"), "daemon"]
  : [await buildCcp(), "daemon"];
const proc = Bun.spawn(cmd, {
  env: { ...pool.vars, CCP_POLL_INTERVAL: "2s" },
  stdio: ["ignore", "ignore", "inherit"],
});

const dbPath = join(pool.vars.CCP_HOME as string, "pool.db");
function polls(): number {
  const db = openDb(dbPath);
  try {
    return db.query<{ n: number }, []>("SELECT count(*) AS n FROM usage_samples").get()?.n ?? 0;
  } finally {
    db.close();
  }
}

async function waitPolls(n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (polls() < n) {
    if (proc.exitCode !== null) throw new Error(`the daemon exited with ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error(`fewer than ${n} polls after 2 minutes`);
    await Bun.sleep(20);
  }
}

try {
  await waitPolls(ACCOUNTS);
  const firstPolls = polls();
  const firstCpu = cpuMs(proc.pid);
  const firstRss = statusKb(proc.pid, "VmRSS");
  await waitPolls(ACCOUNTS * SWEEPS);
  const lastPolls = polls();
  const lastCpu = cpuMs(proc.pid);
  const rss = statusKb(proc.pid, "VmRSS");
  const hwm = statusKb(proc.pid, "VmHWM");
  const perPoll = (lastCpu - firstCpu) / (lastPolls - firstPolls);
  console.log(
    `daemon: ${fromSource ? "bun src/cli.ts" : "compiled binary"}, ${ACCOUNTS} accounts, ${lastPolls} polls`,
  );
  console.log(`resident after the first sweep: ${(firstRss / 1024).toFixed(1)} MiB`);
  console.log(
    `resident after ${SWEEPS} sweeps:   ${(rss / 1024).toFixed(1)} MiB (peak ${(hwm / 1024).toFixed(1)} MiB)`,
  );
  console.log(
    `CPU per poll (user+sys):     ${perPoll.toFixed(2)} ms  (start-up and first sweep: ${firstCpu.toFixed(0)} ms)`,
  );
} finally {
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
  await proc.exited;
  clearTimeout(timer);
  await fake.stop();
  rmSync(root, { recursive: true, force: true });
}
