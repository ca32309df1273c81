// The waiting half of `ccp run` (src/app/shim.ts): claude is its child with the environment launch
// built, the session row is closed with claude's status, and while claude runs the shim hands back
// the pages that choosing the account loaded (Linux), so it stays small for the whole session.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { buildTarget, hostTarget } from "../../scripts/build.ts";
import { CLI_ENTRY, baseEnv, tempDir } from "../helpers/cli.ts";
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

describe("the waiting shim", () => {
  test("claude's parent is the same pid that recorded the session; its environment is what launch built", async () => {
    const dir = tempDir("shim-");
    const out = join(dir, "facts");
    const claude = join(dir, "claude");
    writeFileSync(
      claude,
      `#!/bin/sh\n{ echo "ppid=$PPID"; echo "config=$CLAUDE_CONFIG_DIR"; echo "depth=$CCP_RUN_DEPTH"; echo "keep=$KEEP_ME"; } > "${out}"\nexit 5\n`,
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
      keep: "yes",
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

  test.skipIf(process.platform !== "linux")(
    "the release of loaded pages works in this process too (the daemon uses it)",
    async () => {
      const { releaseLoadedPages } = await import("../../src/app/release-memory.ts");
      expect(await releaseLoadedPages()).toBeGreaterThan(0);
      expect(await releaseLoadedPages()).toBeGreaterThan(0);
    },
  );

  test.skipIf(process.platform !== "linux")(
    "while claude runs, the shim's file-backed resident memory is handed back",
    async () => {
      const dir = tempDir("shim-");
      const ready = join(dir, "ready");
      const stop = join(dir, "stop");
      const claude = join(dir, "claude");
      writeFileSync(
        claude,
        `#!/bin/sh\ntouch "${ready}"\ni=0\nwhile [ ! -e "${stop}" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n`,
        { mode: 0o755 },
      );
      // A binary of its own: pages shared with other running processes are not this shim's to
      // release (and cost nothing extra), so `bun` itself, shared with the test runner, would not do.
      const out = tempDir("bin-");
      await buildTarget(hostTarget(), out);
      const proc = Bun.spawn([join(out, hostTarget(), "ccp"), "run"], {
        env: baseEnv({ ...pool.vars, CCP_CLAUDE_BIN: claude }),
        cwd: tempDir("cwd-"),
        stdio: ["ignore", "ignore", "ignore"],
      });
      const fileKb = (): number =>
        Number(/RssFile:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? Number.NaN);
      try {
        const deadline = Date.now() + 15_000;
        while (!existsSync(ready) && Date.now() < deadline) await Bun.sleep(20);
        // Without the release it holds every page selection touched (~32 MB of the binary).
        let kb = fileKb();
        while (kb >= 20_000 && Date.now() < deadline) {
          await Bun.sleep(50);
          kb = fileKb();
        }
        expect(kb).toBeLessThan(20_000);
        expect(proc.exitCode).toBeNull();
      } finally {
        writeFileSync(stop, "");
        await proc.exited;
      }
      expect(proc.exitCode).toBe(0);
    },
    90_000,
  );
});
