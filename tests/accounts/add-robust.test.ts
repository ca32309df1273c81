// `ccp add` when the terminal goes away mid-login (SIGTERM/SIGHUP) and when the name it would
// use is taken: the login claude is stopped and reaped, and the account is kept or removed as one
// decision; a login that succeeded is never discarded over a name.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, CLI_ENTRY, tempDir } from "../helpers/cli.ts";
import { ccp, listAccountsJson, makeWorld, reapStrayStandIns, type World } from "./fixture.ts";

afterEach(() => {
  // Every login claude was reaped by ccp itself: none is left for this cleanup to find.
  expect(reapStrayStandIns()).toEqual([]);
});

async function addThenSignal(w: World, signal: "SIGTERM" | "SIGHUP", mode: string): Promise<number> {
  const proc = Bun.spawn(
    [process.execPath, CLI_ENTRY, "add", "--yes", "--run-login", "--no-alias", "--no-service"],
    {
      cwd: tempDir(),
      env: baseEnv({ ...w.vars, FAKE_LOGIN_MODE: mode }),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  try {
    // Wait for the login claude to be running (and, in "ok" mode, to have logged in).
    const dir = join(w.accountsDir, "acct-01");
    const deadline = Date.now() + 15_000;
    const ready = mode === "ok" ? join(dir, ".claude.json") : dir;
    while (Date.now() < deadline) {
      if (existsSync(ready) && (mode !== "ok" || existsSync(join(dir, ".credentials.json")))) break;
      await Bun.sleep(50);
    }
    await Bun.sleep(mode === "ok" ? 700 : 300);
    proc.kill(signal);
    return await proc.exited;
  } finally {
    if (proc.exitCode === null) proc.kill("SIGKILL");
  }
}

describe("ccp add ended by SIGTERM/SIGHUP", () => {
  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    test(`${signal} before the login finished: login claude reaped, no dir with a credential left`, async () => {
      const w = makeWorld();
      const code = await addThenSignal(w, signal, "hang");
      expect(code).toBe(signal === "SIGTERM" ? 143 : 129);
      expect(await listAccountsJson(w)).toEqual([]);
      const dirs = existsSync(w.accountsDir) ? readdirSync(w.accountsDir) : [];
      for (const d of dirs) expect(existsSync(join(w.accountsDir, d, ".credentials.json"))).toBe(false);
    }, 30_000);
  }

  test("SIGTERM around the end of a successful login: the account is kept and recorded", async () => {
    const w = makeWorld();
    const code = await addThenSignal(w, "SIGTERM", "ok");
    // Either ccp finished first (0) or the signal came first (143): the login is kept both ways.
    expect([0, 143]).toContain(code);
    const accounts = await listAccountsJson(w);
    expect(accounts).toHaveLength(1);
    expect(existsSync(join(w.accountsDir, "acct-01", ".credentials.json"))).toBe(true);
  }, 30_000);
});

test("a derived name already taken (with its -N suffix too) gets a free name; the login is kept", async () => {
  const w = makeWorld({ vars: { FAKE_EMAIL: "e@x.com" } });
  const add = (extra: string[] = []) =>
    ccp(w, ["add", "--yes", "--run-login", "--no-alias", "--no-service", "--allow-duplicate", ...extra]);
  expect((await add()).code).toBe(0);
  // The case: `e@x.com` and `e@x.com-3` exist; the third account would be `e@x.com-3`.
  // (The same login added again on purpose, so every add derives the same name.)
  expect((await add(["--label", "e@x.com-3"])).code).toBe(0);
  const r = await add();
  expect(r.code).toBe(0);
  const names = (await listAccountsJson(w)).map((a) => a.name).sort();
  expect(names).toHaveLength(3);
  expect(new Set(names).size).toBe(3);
  expect(existsSync(join(w.accountsDir, "acct-03", ".credentials.json"))).toBe(true);
}, 60_000);
