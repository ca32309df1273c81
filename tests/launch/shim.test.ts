// The waiting half of `ccp run` is handed to a fresh image of cc-pool by execve (src/app/shim.ts):
// same pid, claude's environment unchanged, the session row closed; a hand-off variable that was
// not written for this very process is ignored.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { CLI_ENTRY, baseEnv, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let pool: TestPool;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(fake, [{ name: "solo", util5Pct: 10, util7Pct: 10 }]);
});
afterAll(async () => {
  await fake.stop();
});

describe("the hand-off to the waiting image", () => {
  test("claude's parent is the same pid that recorded the session; its environment is what launch built", async () => {
    const dir = tempDir("shim-");
    const out = join(dir, "facts");
    const claude = join(dir, "claude");
    writeFileSync(
      claude,
      `#!/bin/sh\n{ echo "ppid=$PPID"; echo "config=$CLAUDE_CONFIG_DIR"; echo "depth=$CCP_RUN_DEPTH"; echo "handoff=\${CCP_SHIM_HANDOFF-unset}"; echo "keep=$KEEP_ME"; echo "waiter-image=$(tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null | grep -c '^CCP_SHIM_HANDOFF=')"; } > "${out}"\nexit 5\n`,
      { mode: 0o755 },
    );
    const proc = Bun.spawn([process.execPath, CLI_ENTRY, "run", "--anything"], {
      env: baseEnv({ ...pool.vars, CCP_CLAUDE_BIN: claude, KEEP_ME: "yes" }),
      cwd: tempDir("cwd-"),
      stdio: ["ignore", "ignore", "pipe"],
    });
    const code = await proc.exited;
    expect(code).toBe(5);
    const facts = Object.fromEntries(
      readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split("=", 2) as [string, string]),
    );
    expect(facts).toEqual({
      ppid: String(proc.pid),
      config: pool.accounts[0]?.configDir as string,
      depth: "1",
      handoff: "unset",
      keep: "yes",
      // Linux shows an image's initial environment: the waiting parent was started by the hand-off.
      "waiter-image": process.platform === "linux" ? "1" : (facts["waiter-image"] ?? ""),
    });
    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    try {
      const rows = db
        .query<{ pid: number; ended: number | null; exit_code: number | null }, []>(
          "SELECT pid, ended_at_ms AS ended, exit_code FROM sessions WHERE kind = 'run'",
        )
        .all();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.pid).toBe(proc.pid);
      expect(rows[0]?.ended).not.toBeNull();
      expect(rows[0]?.exit_code).toBe(5);
    } finally {
      db.close();
    }
  });

  test("an inherited or forged hand-off variable is ignored: the command runs as usual", async () => {
    const forged = JSON.stringify({
      pid: 1,
      sessionId: 1,
      accountId: 1,
      cwd: "/",
      bin: "/bin/echo",
      args: ["hijacked"],
      childVars: {},
      childUnset: [],
    });
    for (const value of [forged, "not json", ""]) {
      const r = await runCli(["--version"], { env: { ...pool.vars, CCP_SHIM_HANDOFF: value } });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^cc-pool /);
      expect(r.stdout).not.toContain("hijacked");
    }
  });
});
