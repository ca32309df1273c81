// The bench's pools: real cc-pool databases, warm (fresh samples, a daemon heartbeat), so a select
// never samples live. Must be made under a sanitized environment (bench/lib.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openPool } from "../src/app/pool.ts";
import { loadEnv } from "../src/env.ts";
import { insertAccount } from "../src/store/accounts.ts";
import { openDb, writeTx } from "../src/store/db.ts";
import { setMeta } from "../src/store/meta.ts";
import { insertSample } from "../src/store/usage.ts";

/** A pool whose data is fresh and whose daemon looks alive, so select never samples live. */
export function warmPool(root: string, accounts: number): Record<string, string> {
  const home = join(root, `pool-${accounts}`, "home");
  mkdirSync(join(home, ".claude", "projects"), { recursive: true });
  writeFileSync(join(home, ".claude", "settings.json"), "{}\n");
  writeFileSync(join(home, ".claude.json"), '{"theme":"dark"}\n');
  const vars = {
    HOME: home,
    CCP_HOME: join(home, ".cc-pool"),
    CCP_SECRET_STORE: "file",
    CCP_DAEMON_AUTOSTART: "0",
    // Should anything still try the network, it gets a refused connection, never the internet.
    CCP_USAGE_URL: "http://127.0.0.1:9/usage",
    CCP_TOKEN_URL: "http://127.0.0.1:9/token",
    CCP_PROFILE_URL: "http://127.0.0.1:9/profile",
    PATH: process.env.PATH ?? "",
  };
  const env = loadEnv(vars);
  const db = openPool(env);
  const now = Date.now();
  writeTx(db, () => {
    for (let id = 1; id <= accounts; id++) {
      const configDir = join(env.accountsDir, `acct-${String(id).padStart(3, "0")}`);
      mkdirSync(configDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(configDir, ".claude.json"), '{"hasCompletedOnboarding":true}\n');
      insertAccount(db, { id, name: `account-${id}`, nameIsCustom: true, configDir, createdAtMs: now });
      // 45 minutes of history at the daemon's 3-minute cadence, so burn rates cost what they do in real use.
      for (let k = 15; k >= 0; k--) {
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
  });
  db.close();
  return vars;
}

/** Untimed, before each round: the daemon "beats" so no select samples or starts one. */
export function heartbeat(vars: Record<string, string>): void {
  const db = openDb(join(vars.CCP_HOME as string, "pool.db"));
  try {
    writeTx(db, () => setMeta(db, "daemon_heartbeat_ms", String(Date.now())));
  } finally {
    db.close();
  }
}
