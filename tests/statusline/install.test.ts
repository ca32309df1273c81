// `ccp statusline install|uninstall`: opt-in, reversible, and the only write under ~/.claude.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { wrappedFrom, wrappingCommand } from "../../src/app/statusline-install.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { makePool } from "../helpers/pool.ts";
import { describeSacred } from "../helpers/sacred.ts";

async function freshPool() {
  return makePool(undefined, [{ name: "work" }]);
}

function settingsOf(home: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(home, ".claude/settings.json"), "utf8"));
}

/** Everything under ~/.claude and ~/.claude.json except settings.json. */
function restOfBase(home: string): string[] {
  return describeSacred(home).filter((l) => !l.startsWith("~/.claude/settings.json "));
}

describe("ccp statusline install / uninstall", () => {
  test("install wraps the user's status line; uninstall restores it exactly; nothing else changes", async () => {
    const pool = await freshPool();
    const path = join(pool.home, ".claude/settings.json");
    const original = {
      model: "opus",
      statusLine: { type: "command", command: "~/bin/my line.sh --fancy", padding: 2 },
      permissions: { allow: ["Read"] },
    };
    writeFileSync(path, JSON.stringify(original, null, 2));
    const rest = restOfBase(pool.home);

    const r = await runCli(["statusline", "install"], { env: pool.vars });
    expect(r.code).toBe(0);
    const installed = settingsOf(pool.home);
    const line = installed.statusLine as { type: string; command: string; padding: number };
    expect(line.type).toBe("command");
    expect(line.padding).toBe(2);
    expect(line.command).toMatch(/ statusline -- '~\/bin\/my line\.sh --fancy'$/);
    expect(r.stdout.trim()).toBe(line.command);
    expect(installed.model).toBe("opus");
    expect(installed.permissions).toEqual({ allow: ["Read"] });
    expect(restOfBase(pool.home)).toEqual(rest);

    // Idempotent: a second install changes nothing.
    const before = readFileSync(path, "utf8");
    const again = await runCli(["statusline", "install"], { env: pool.vars });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("already on");
    expect(readFileSync(path, "utf8")).toBe(before);

    const u = await runCli(["statusline", "uninstall"], { env: pool.vars });
    expect(u.code).toBe(0);
    expect(u.stderr).toContain("Restored your status line");
    expect(settingsOf(pool.home)).toEqual(original);
    expect(restOfBase(pool.home)).toEqual(rest);
    expect(existsSync(join(pool.vars.CCP_HOME as string, "statusline-original.json"))).toBe(false);

    const u2 = await runCli(["statusline", "uninstall"], { env: pool.vars });
    expect(u2.code).toBe(0);
    expect(u2.stderr).toContain("is not cc-pool's");
    expect(settingsOf(pool.home)).toEqual(original);
  });

  test("without a status line of their own, install adds ours and uninstall removes the key", async () => {
    const pool = await freshPool();
    const r = await runCli(["statusline", "install"], { env: pool.vars });
    expect(r.code).toBe(0);
    const command = (settingsOf(pool.home).statusLine as { command: string }).command;
    expect(command).toMatch(/ statusline$/);
    expect(command).not.toContain(" -- ");
    await runCli(["statusline", "uninstall"], { env: pool.vars });
    expect(settingsOf(pool.home)).toEqual({ model: "opus", permissions: { allow: ["Read"] } });
  });

  test("a settings.json that is a link is edited where it lives; the link stays", async () => {
    const pool = await freshPool();
    const real = join(tempDir("dotfiles-"), "settings.json");
    writeFileSync(real, '{"theme":"dark"}');
    const path = join(pool.home, ".claude/settings.json");
    rmSync(path);
    symlinkSync(real, path);
    expect((await runCli(["statusline", "install"], { env: pool.vars })).code).toBe(0);
    expect(JSON.parse(readFileSync(real, "utf8")).statusLine.command).toMatch(/ statusline$/);
    await runCli(["statusline", "uninstall"], { env: pool.vars });
    expect(JSON.parse(readFileSync(real, "utf8"))).toEqual({ theme: "dark" });
    expect(describeSacred(pool.home).find((l) => l.startsWith("~/.claude/settings.json "))).toContain("link");
  });

  test("an unparsable settings.json is refused and left byte for byte", async () => {
    const pool = await freshPool();
    const path = join(pool.home, ".claude/settings.json");
    writeFileSync(path, '{"model": "opus",');
    const r = await runCli(["statusline", "install"], { env: pool.vars });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not valid JSON");
    expect(readFileSync(path, "utf8")).toBe('{"model": "opus",');
    expect(existsSync(join(pool.vars.CCP_HOME as string, "statusline-original.json"))).toBe(false);
  });

  test("bad actions are usage errors", async () => {
    const pool = await freshPool();
    const r = await runCli(["statusline", "instal"], { env: pool.vars });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected install or uninstall");
  });

  test("with the backup gone, uninstall still recovers the wrapped command from the setting", () => {
    for (const theirs of ["~/bin/x.sh", "echo 'it''s' | tr a b", "a'b"]) {
      const cmd = wrappingCommand(["/usr/local/bin/ccp"], { command: theirs });
      expect(wrappedFrom(cmd)).toBe(theirs);
    }
  });
});
