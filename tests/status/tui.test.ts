// The live dashboard in a real terminal (tmux): data from the fake server, keys, a pin that
// `ccp select` honours, a resize, and a terminal given back as it was.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { getPin } from "../../src/store/sessions.ts";
import { CLI_ENTRY, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool } from "../helpers/pool.ts";
import { killAllTmux, startTmux } from "../helpers/tmux.ts";

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});
afterEach(() => {
  killAllTmux();
});

function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

async function selectJson(
  env: Record<string, string>,
  cwd: string,
): Promise<{ kind: string; account: { name: string } }> {
  const r = await runCli(["select", "--json"], { env, cwd });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe("ccp status dashboard", () => {
  test("shows the pool, moves, pins, survives a resize and restores the terminal", async () => {
    const pool = await makePool(fake, [
      { name: "alpha", util5Pct: 10, util7Pct: 20 },
      { name: "bravo", util5Pct: 30, util7Pct: 30 },
      { name: "charlie", util5Pct: 50, util7Pct: 40 },
    ]);
    const cwd = tempDir("proj-");
    const script = `echo BEFORE; ${quote(process.execPath)} ${quote(CLI_ENTRY)} status; echo AFTER-$?`;
    const tmux = startTmux({ cmd: ["sh", "-c", script], env: pool.vars, cwd, width: 120, height: 40 });

    // No daemon: the dashboard samples on its own, then shows every account.
    let screen = await tmux.waitFor(/charlie .*50%/);
    expect(screen).toContain("cc-pool status");
    expect(screen).not.toContain("BEFORE");
    expect(screen).toMatch(/^> ▸ alpha .*10%/m);
    expect(screen).toMatch(/^ {4}bravo .*30%/m);
    expect(screen).toContain("FORECAST");
    expect(screen).toContain("── alpha ─");

    // Before any pin, a launch from here would take the emptiest account.
    expect((await selectJson(pool.vars, cwd)).account.name).toBe("alpha");

    tmux.keys("Down");
    tmux.type("j");
    screen = await tmux.waitFor("── charlie ─");
    expect(screen).toMatch(/^> {3}charlie/m);

    tmux.type("p");
    screen = await tmux.waitFor(`Pinned ${cwd} to charlie`);
    await tmux.waitFor(/^> ▸ charlie/m);
    const pinned = await selectJson(pool.vars, cwd);
    expect(pinned.kind).toBe("pinned");
    expect(pinned.account.name).toBe("charlie");

    Bun.spawnSync(["tmux", "-L", tmux.socket, "resize-window", "-x", "70"]);
    screen = await tmux.waitFor(/^ {4}ACCOUNT(?!.*FORECAST)/m);
    expect(screen).not.toContain("FORECAST");
    expect(screen).toMatch(/^> ▸ charlie/m);
    for (const line of screen.split("\n")) expect([...line].length).toBeLessThanOrEqual(70);
    expect(screen.split("\n").filter((l) => /^.{4}alpha /.test(l)).length).toBe(1);

    tmux.type("p");
    await tmux.waitFor(`Unpinned ${cwd} (was charlie)`);
    const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
    try {
      expect(getPin(db, cwd)).toBeUndefined();
    } finally {
      db.close();
    }

    tmux.type("q");
    screen = await tmux.waitFor("AFTER-0");
    expect(screen).toContain("BEFORE");
    expect(screen).not.toContain("cc-pool status");
    expect(screen).not.toContain("charlie");
    expect(await tmux.waitForExit()).toBe(0);
  }, 30_000);

  test("Ctrl-C leaves the dashboard with 130 and gives the terminal back", async () => {
    const pool = await makePool(fake, [{ name: "solo", util5Pct: 5, util7Pct: 5 }]);
    const script = `echo BEFORE; ${quote(process.execPath)} ${quote(CLI_ENTRY)} status; echo AFTER-$?`;
    const tmux = startTmux({
      cmd: ["sh", "-c", script],
      env: pool.vars,
      cwd: tempDir("proj-"),
      width: 100,
      height: 30,
    });
    await tmux.waitFor(/solo .*5%/);
    tmux.keys("C-c");
    const screen = await tmux.waitFor("AFTER-130");
    expect(screen).toContain("BEFORE");
    expect(screen).not.toContain("cc-pool status");
  }, 20_000);
});
