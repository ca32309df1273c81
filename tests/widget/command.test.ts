import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { readWidgetModel } from "../../src/widget/model.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { poolWithUsage } from "./fixture.ts";

describe("readWidgetModel (a real database)", () => {
  test("names, usage and ranking from the cached samples; the daemon's heartbeat", async () => {
    const nowMs = Date.now();
    const pool = await poolWithUsage(
      [
        { name: "personal", util5Pct: 61, util7Pct: 70 },
        { name: "work", util5Pct: 22, util7Pct: 46 },
        { name: "spent", util5Pct: 100, util7Pct: 30 },
      ],
      nowMs,
    );
    const db = openDb(pool.env.dbPath);
    try {
      const m = readWidgetModel(db, nowMs);
      expect(m.accounts.map((a) => [a.name, a.util5Pct, a.exhausted, a.next])).toEqual([
        ["work", 22, false, true],
        ["personal", 61, false, false],
        ["spent", 100, true, false],
      ]);
      expect(m.bestHeadroomPct).toBe(78);
      expect(m.daemonRunning).toBe(true);
      // Ten minutes later the heartbeat is stale.
      expect(readWidgetModel(db, nowMs + 600_000).daemonRunning).toBe(false);
    } finally {
      db.close();
    }
  });
});

describe("ccp widget --render", () => {
  test("prints each bar's text for the pool", async () => {
    const pool = await poolWithUsage([
      { name: "personal", util5Pct: 61, util7Pct: 70 },
      { name: "work", util5Pct: 22, util7Pct: 46 },
    ]);
    const waybar = await runCli(["widget", "--render", "waybar"], { env: pool.vars });
    expect(waybar.stderr).toBe("");
    expect(waybar.code).toBe(0);
    expect(JSON.parse(waybar.stdout)).toMatchObject({ text: "ccp 78%", class: "ok", percentage: 78 });
    expect(JSON.parse(waybar.stdout).tooltip).toContain("▸ work  5h 22% · 7d 46%");
    const polybar = await runCli(["widget", "--render=polybar"], { env: pool.vars });
    expect(polybar.stdout).toBe("ccp 78% · work\n");
    const swiftbar = await runCli(["widget", "--render", "swiftbar"], { env: pool.vars });
    expect(swiftbar.stdout.split("\n")[0]).toBe("ccp 78%");
  });

  test("no pool: an empty widget, and no pool is created", async () => {
    const home = tempDir("nopool-");
    const ccpHome = join(home, ".cc-pool");
    const r = await runCli(["widget", "--render", "polybar"], { env: { HOME: home, CCP_HOME: ccpHome } });
    expect(r).toEqual({ code: 0, stdout: "ccp –\n", stderr: "" });
    expect(existsSync(ccpHome)).toBe(false);
  });

  test("a damaged database is an error (the scripts then show `cc-pool ?`)", async () => {
    const ccpHome = join(tempDir("bad-"), ".cc-pool");
    mkdirSync(ccpHome, { recursive: true });
    writeFileSync(join(ccpHome, "pool.db"), "not a database at all, but long enough to check");
    const r = await runCli(["widget", "--render", "waybar"], { env: { CCP_HOME: ccpHome } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
  });

  test("an unknown bar, or --render with --uninstall, is a usage error", async () => {
    const bad = await runCli(["widget", "--render", "tmux"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("swiftbar, waybar, polybar");
    const both = await runCli(["widget", "--render", "waybar", "--uninstall"]);
    expect(both.code).toBe(2);
  });
});

describe("ccp widget on Linux", () => {
  test("installs the scripts, prints their paths and modules; --uninstall removes them", async () => {
    if (process.platform !== "linux") return;
    const pool = await poolWithUsage([{ name: "work", util5Pct: 22, util7Pct: 46 }]);
    const dir = join(pool.env.ccpHome, "widget");
    const r = await runCli(["widget"], { env: pool.vars });
    expect(r.code).toBe(0);
    const waybarScript = join(dir, "cc-pool-waybar.sh");
    const polybarScript = join(dir, "cc-pool-polybar.sh");
    expect(r.stdout.split("\n").slice(0, 2)).toEqual([waybarScript, polybarScript]);
    expect(r.stdout).toContain(`"custom/cc-pool": {`);
    expect(r.stdout).toContain(`"exec": "${waybarScript}"`);
    expect(r.stdout).toContain(
      `[module/cc-pool]\ntype = custom/script\nexec = ${polybarScript}\ninterval = 60`,
    );
    // The installed script runs this checkout's ccp on the pool.
    const shown = await runCli([], { bin: waybarScript, env: { CCP_HOME: undefined } });
    expect(JSON.parse(shown.stdout)).toMatchObject({ text: "ccp 78%" });

    const removed = await runCli(["widget", "--uninstall"], { env: pool.vars });
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain(`Removed ${waybarScript}`);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(pool.env.ccpHome)).toContain("pool.db");
    const again = await runCli(["widget", "--uninstall"], { env: pool.vars });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("nothing to remove");
  });
});
