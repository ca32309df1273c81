// The first run as a person sees it: bare `ccp` on an empty pool, driven through a real terminal
// (tmux) with the stand-in `claude` on PATH.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ALIAS_BEGIN_MARKER } from "../../src/app/alias.ts";
import { CLI_ENTRY } from "../helpers/cli.ts";
import { expectSacredUnchanged } from "../helpers/sacred.ts";
import { killAllTmux, occurrences, startTmux, type TmuxSession } from "../helpers/tmux.ts";
import {
  accountDirs,
  addAccountDirect,
  listAccountsJson,
  makeWorld,
  reapStrayStandIns,
  type World,
} from "./fixture.ts";

const SLOW = 30_000;

afterEach(() => {
  killAllTmux();
  expect(reapStrayStandIns()).toEqual([]);
});

function startCcp(world: World, args: string[], extra: Record<string, string> = {}): TmuxSession {
  return startTmux({
    cmd: [process.execPath, CLI_ENTRY, ...args],
    env: { ...world.vars, TERM: "xterm-256color", ...extra },
  });
}

/** The text after the last occurrence of `marker`: what the current prompt shows. */
function after(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker));
}

function rcBlocks(world: World): number {
  return occurrences(readFileSync(join(world.home, ".zshrc"), "utf8"), ALIAS_BEGIN_MARKER);
}

/** Logs in as a person would in another terminal: the stand-in, signed in, then closed. */
async function loginElsewhere(world: World, configDir: string, email: string): Promise<void> {
  const proc = Bun.spawn([world.claudeBin, "auth", "login"], {
    env: { ...world.vars, CLAUDE_CONFIG_DIR: configDir, FAKE_LOGIN_MODE: "exit", FAKE_EMAIL: email },
    stdio: ["ignore", "ignore", "ignore"],
  });
  expect(await proc.exited).toBe(0);
}

describe("first-run onboarding in a terminal", () => {
  test(
    "bare ccp on an empty pool: two accounts, alias accepted, summary; a later add does not repeat the alias",
    async () => {
      const w = makeWorld();
      const t = startCcp(w, []);

      // Account 1, logged in right here.
      let screen = await t.waitFor("How do you want to log in?");
      expect(screen).toContain("cc-pool");
      expect(screen).toContain("Log in now, in this terminal");
      expect(screen).toContain("Log in from another terminal");
      t.keys("Enter");
      screen = await t.waitFor("Name for this account");
      expect(screen).toContain("Opening browser to sign in");
      // The name prompt is prefilled with the login's email.
      expect(after(screen, "Name for this account")).toMatch(/\n\S*\s+user-acct-01@example\.com/);
      t.keys("Enter");
      screen = await t.waitFor("Add another account?");
      expect(screen).toContain("Added user-acct-01@example.com.");

      // Account 2 (Yes is the default with one account), logged in from another terminal.
      t.keys("Enter");
      await t.waitFor((s) => occurrences(s, "How do you want to log in?") === 2);
      t.keys("Down", "Enter");
      screen = await t.waitFor("Waiting for the login to finish");
      const configDir2 = join(w.accountsDir, "acct-02");
      // The exact command to run is shown (boxed, possibly wrapped: compare without the frame).
      const flat = screen.replace(/[│╮╯├─◇\s]/g, "");
      expect(flat).toContain(`CLAUDE_CONFIG_DIR=${configDir2}${w.claudeBin}authlogin`);
      await loginElsewhere(w, configDir2, "personal@gmail.com");
      screen = await t.waitFor((s) => occurrences(s, "Name for this account") === 2);
      expect(screen).toContain("Logged in as personal@gmail.com.");
      expect(after(screen, "Name for this account")).toMatch(/\n\S*\s+personal@gmail\.com/);
      t.keys("C-u");
      t.type("personal");
      t.keys("Enter");
      screen = await t.waitFor((s) => occurrences(s, "Add another account?") === 2);
      expect(screen).toContain("Added personal.");
      t.keys("Enter");

      // The alias offer, accepted, then the summary.
      screen = await t.waitFor("Wrap `claude` to always launch on the emptiest account?");
      expect(screen).toContain("Your pool now has 2 accounts.");
      t.keys("Enter");
      expect(await t.waitForExit()).toBe(0);
      screen = t.screen();
      expect(screen).toContain("Wrapped `claude`: added an alias to ~/.zshrc.");
      expect(screen).toContain("command claude");
      expect(after(screen, "Wrapped")).toContain("ccp run");
      t.kill();

      const accounts = await listAccountsJson(w);
      expect(accounts.map((a) => [a.id, a.name, a.email])).toEqual([
        [1, "user-acct-01@example.com", "user-acct-01@example.com"],
        [2, "personal", "personal@gmail.com"],
      ]);
      expect(rcBlocks(w)).toBe(1);
      expect(readFileSync(join(w.home, ".zshrc"), "utf8")).toContain("alias claude='ccp run'");
      expectSacredUnchanged(w.home, w.sacred);

      // A third account later: the alias is already there, so it is neither offered nor added twice.
      const again = startCcp(w, ["add"]);
      await again.waitFor("How do you want to log in?");
      again.keys("Enter");
      await again.waitFor("Name for this account");
      again.keys("Enter");
      await again.waitFor("Add another account?");
      again.keys("Enter");
      expect(await again.waitForExit()).toBe(0);
      const last = again.screen();
      expect(last).toContain("Your pool now has 3 accounts.");
      expect(last).not.toContain("Wrap `claude`");
      expect(rcBlocks(w)).toBe(1);
      expect(await listAccountsJson(w)).toHaveLength(3);
      expectSacredUnchanged(w.home, w.sacred);
    },
    SLOW,
  );

  test(
    "pressing Enter at every question gives two accounts and the alias; paths read ~/…",
    async () => {
      const w = makeWorld();
      const t = startCcp(w, []);
      let screen = await t.waitFor("How do you want to log in?");
      expect(screen).toContain("Set up cc-pool in ");
      t.keys("Enter");
      await t.waitFor("Name for this account");
      t.keys("Enter");
      // A pool of one balances nothing: "Add another account?" defaults to Yes.
      await t.waitFor("Add another account?");
      t.keys("Enter");
      await t.waitFor((s) => occurrences(s, "How do you want to log in?") === 2);
      t.keys("Enter");
      await t.waitFor((s) => occurrences(s, "Name for this account") === 2);
      t.keys("Enter");
      // With two accounts the default turns to No.
      await t.waitFor((s) => occurrences(s, "Add another account?") === 2);
      t.keys("Enter");
      screen = await t.waitFor("Wrap `claude` to always launch on the emptiest account?");
      expect(screen).toContain("Your pool now has 2 accounts.");
      t.keys("Enter");
      expect(await t.waitForExit()).toBe(0);
      screen = t.screen();
      expect(screen).toContain("Wrapped `claude`: added an alias to ~/.zshrc.");
      expect(screen).toContain("source ~/.zshrc");
      expect(screen).not.toContain(w.home);
      t.kill();
      expect((await listAccountsJson(w)).map((a) => a.email)).toEqual([
        "user-acct-01@example.com",
        "user-acct-02@example.com",
      ]);
      expect(readFileSync(join(w.home, ".zshrc"), "utf8")).toContain("alias claude='ccp run'");
      expectSacredUnchanged(w.home, w.sacred);
    },
    SLOW,
  );

  test(
    "--run-login --count 1 skips the login question and 'Add another'; a declined alias writes nothing",
    async () => {
      const w = makeWorld();
      const t = startCcp(w, ["add", "--run-login", "--count", "1"]);
      await t.waitFor("Name for this account");
      t.keys("Enter");
      const screen = await t.waitFor("Wrap `claude` to always launch on the emptiest account?");
      expect(screen).not.toContain("How do you want to log in?");
      expect(screen).not.toContain("Add another account?");
      t.keys("Right", "Enter");
      expect(await t.waitForExit()).toBe(0);
      expect(t.screen()).not.toContain("Wrapped");
      expect(existsSync(join(w.home, ".zshrc"))).toBe(false);
      expect(await listAccountsJson(w)).toHaveLength(1);
      expectSacredUnchanged(w.home, w.sacred);
    },
    SLOW,
  );

  test(
    "Ctrl-C during the login: exit 130, no account row, no account dir",
    async () => {
      const w = makeWorld();
      const t = startCcp(w, [], { FAKE_LOGIN_MODE: "hang" });
      await t.waitFor("How do you want to log in?");
      t.keys("Enter");
      await t.waitFor("Opening browser to sign in");
      expect(accountDirs(w)).toEqual(["acct-01"]);
      t.keys("C-c");
      expect(await t.waitForExit()).toBe(130);
      expect(t.screen()).toContain("Login cancelled; the account was not added.");
      // The login claude was closed by ccp itself, before the test kills anything.
      expect(reapStrayStandIns()).toEqual([]);
      expect(accountDirs(w)).toEqual([]);
      expect(await listAccountsJson(w)).toEqual([]);
      expectSacredUnchanged(w.home, w.sacred);
    },
    SLOW,
  );

  test(
    "Ctrl-C while waiting for a login in another terminal: exit 130, nothing left",
    async () => {
      const w = makeWorld();
      const t = startCcp(w, ["add", "--no-alias"]);
      await t.waitFor("How do you want to log in?");
      t.keys("Down", "Enter");
      await t.waitFor("Waiting for the login to finish");
      t.keys("C-c");
      expect(await t.waitForExit()).toBe(130);
      expect(t.screen()).toContain("Login cancelled");
      expect(accountDirs(w)).toEqual([]);
      expect(await listAccountsJson(w)).toEqual([]);
      expectSacredUnchanged(w.home, w.sacred);
    },
    SLOW,
  );

  test(
    "Ctrl-C at the name prompt after a login discards the logged-in dir",
    async () => {
      const w = makeWorld();
      const t = startCcp(w, ["add", "--run-login", "--no-alias"]);
      await t.waitFor("Name for this account");
      expect(existsSync(join(w.accountsDir, "acct-01", ".credentials.json"))).toBe(true);
      t.keys("C-c");
      expect(await t.waitForExit()).toBe(130);
      expect(accountDirs(w)).toEqual([]);
      expect(await listAccountsJson(w)).toEqual([]);
    },
    SLOW,
  );

  test(
    "the same identity again: asked, and declining leaves the pool as it was",
    async () => {
      const w = makeWorld();
      await addAccountDirect(w, { email: "same@example.com", label: "main" });
      const t = startCcp(w, ["add", "--run-login", "--no-alias"], { FAKE_EMAIL: "same@example.com" });
      const screen = await t.waitFor("Add it again?");
      expect(screen).toContain("same@example.com is already in the pool as main (account 1)");
      t.keys("Enter");
      await t.waitFor("Add another account?");
      expect(t.screen()).toContain("Skipped: same@example.com stays in the pool once.");
      // Still one account, so Yes is the default: decline.
      t.keys("Right", "Enter");
      expect(await t.waitForExit()).toBe(0);
      const accounts = await listAccountsJson(w);
      expect(accounts.map((a) => a.name)).toEqual(["main"]);
      expect(accountDirs(w)).toEqual(["acct-01"]);
    },
    SLOW,
  );

  test(
    "a login claude that ignores SIGTERM is killed after the grace period",
    async () => {
      const w = makeWorld();
      const t = startCcp(w, ["add", "--run-login", "--count", "1", "--no-alias", "--label", "work"], {
        FAKE_IGNORE_TERM: "1",
      });
      // Includes the grace period before the KILL.
      expect(await t.waitForExit(20_000)).toBe(0);
      expect(reapStrayStandIns()).toEqual([]);
      expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["work"]);
    },
    SLOW,
  );
});
