// The hot path, measured from one interleaved run against a compiled Bun hello-world:
// `ccp select` on a warm database with 2 and with 100 accounts, `ccp run` with a claude that
// exits at once, and the shim's resident memory while claude runs.
// Usage: bun bench/launch.ts [rounds]
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPool } from "../src/app/pool.ts";
import { loadEnv } from "../src/env.ts";
import { insertAccount } from "../src/store/accounts.ts";
import { writeTx } from "../src/store/db.ts";
import { setMeta } from "../src/store/meta.ts";
import { insertSample } from "../src/store/usage.ts";
import { buildCcp, buildHelloWorld, interleave, report } from "./lib.ts";

const rounds = Number(process.argv[2] ?? 40);

/** A pool whose data is fresh and whose daemon looks alive, so select never samples live. */
function warmPool(accounts: number): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "ccp-bench-"));
  mkdirSync(join(home, ".claude", "projects"), { recursive: true });
  writeFileSync(join(home, ".claude", "settings.json"), "{}\n");
  writeFileSync(join(home, ".claude.json"), '{"theme":"dark"}\n');
  const vars = {
    HOME: home,
    CCP_HOME: join(home, ".cc-pool"),
    CCP_SECRET_STORE: "file",
    PATH: process.env.PATH ?? "",
  };
  const env = loadEnv(vars);
  const db = openPool(env);
  const now = Date.now();
  writeTx(db, () => {
    for (let id = 1; id <= accounts; id++) {
      const configDir = join(env.accountsDir, `acct-${String(id).padStart(2, "0")}`);
      mkdirSync(configDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(configDir, ".claude.json"), '{"hasCompletedOnboarding":true}\n');
      insertAccount(db, { id, name: `account-${id}`, nameIsCustom: true, configDir, createdAtMs: now });
      // 45 minutes of history at the daemon's 3-minute cadence, so burn rates cost what they do in real use.
      for (let k = 0; k < 16; k++) {
        insertSample(db, {
          accountId: id,
          takenAtMs: now - k * 180_000,
          status: "ok",
          util5Pct: (id * 7 + k) % 90,
          reset5AtMs: now + 3 * 3_600_000,
          util7Pct: (id * 3) % 80,
          reset7AtMs: now + 4 * 86_400_000,
          scoped7Pct: null,
          scoped7ResetAtMs: null,
          scoped7Model: null,
          extraUsageEnabled: false,
          error: null,
        });
      }
    }
    setMeta(db, "daemon_heartbeat_ms", String(now + 86_400_000));
  });
  db.close();
  return vars;
}

function residentKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function shimMemoryKb(ccp: string, vars: Record<string, string>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "ccp-bench-bin-"));
  const claude = join(dir, "claude");
  writeFileSync(claude, "#!/bin/sh\nexec sleep 2\n", { mode: 0o755 });
  const shim = Bun.spawn([ccp, "run"], {
    env: { ...vars, CCP_CLAUDE_BIN: claude },
    stdio: ["ignore", "ignore", "ignore"],
  });
  await Bun.sleep(1000);
  const kb = residentKb(shim.pid);
  await shim.exited;
  return kb;
}

const [ccp, hello] = await Promise.all([buildCcp(), buildHelloWorld()]);
const small = warmPool(2);
const large = warmPool(100);
const runEnv = { ...small, CCP_CLAUDE_BIN: "/bin/true" };
const medians = interleave(
  [
    { name: "hello-world (compiled bun)", cmd: [hello] },
    { name: "ccp --version", cmd: [ccp, "--version"] },
    { name: "ccp select (2 accounts)", cmd: [ccp, "select"], env: small },
    { name: "ccp select (100 accounts)", cmd: [ccp, "select"], env: large },
    { name: "ccp run (2 accounts, claude=true)", cmd: [ccp, "run"], env: runEnv },
  ],
  rounds,
);
console.log(`median of ${rounds} interleaved runs each`);
report(medians, "hello-world (compiled bun)");
const select2 = medians.get("ccp select (2 accounts)") as number;
const select100 = medians.get("ccp select (100 accounts)") as number;
const run = medians.get("ccp run (2 accounts, claude=true)") as number;
console.log(`select 100 / select 2 accounts: ${(select100 / select2).toFixed(2)}x`);
console.log(`run overhead over select: ${(run - select2).toFixed(2)} ms`);
console.log(
  `shim resident memory while claude runs: ${((await shimMemoryKb(ccp, small)) / 1024).toFixed(1)} MiB`,
);
