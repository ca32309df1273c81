// A pool on disk with cached usage (no network: the widget reads only the cache), and a fake ccp.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { DAEMON_HEARTBEAT_KEY, setMeta } from "../../src/store/meta.ts";
import { insertSample } from "../../src/store/usage.ts";
import { tempDir } from "../helpers/cli.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

export interface Usage {
  name: string;
  util5Pct: number;
  util7Pct: number;
}

/** Accounts with one fresh usage sample each and a live daemon heartbeat. */
export async function poolWithUsage(usages: Usage[], nowMs = Date.now()): Promise<TestPool> {
  const pool = await makePool(
    undefined,
    usages.map((u) => ({ name: u.name })),
  );
  const db = openDb(pool.env.dbPath);
  try {
    for (const [i, u] of usages.entries()) {
      insertSample(db, {
        accountId: pool.accounts[i]?.id as number,
        takenAtMs: nowMs - 5_000,
        status: "ok",
        util5Pct: u.util5Pct,
        reset5AtMs: null,
        util7Pct: u.util7Pct,
        reset7AtMs: null,
        scoped7Pct: null,
        scoped7ResetAtMs: null,
        scoped7Model: null,
        extraUsageEnabled: null,
        error: null,
      });
    }
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(nowMs));
  } finally {
    db.close();
  }
  return pool;
}

/**
 * A stand-in ccp: records its arguments and CCP_HOME in $FAKE_LOG, prints $FAKE_OUT (when set)
 * and exits with $FAKE_CODE.
 */
export function fakeCcp(): string {
  const dir = tempDir("fake-ccp-");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "ccp");
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      'printf \'%s\\n\' "$*" "CCP_HOME=$CCP_HOME" > "$FAKE_LOG"',
      `[ -n "\${FAKE_OUT+x}" ] && printf '%s\\n' "$FAKE_OUT"`,
      `exit "\${FAKE_CODE:-0}"`,
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  return path;
}
