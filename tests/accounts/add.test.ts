import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareAccountDir } from "../../src/app/accounts.ts";
import { openPool } from "../../src/app/pool.ts";
import { listAccounts } from "../../src/store/accounts.ts";
import { accountDirs, ccp, listAccountsJson, makeWorld, reapStrayStandIns } from "./fixture.ts";

const SLOW = 20_000;

afterEach(() => {
  expect(reapStrayStandIns()).toEqual([]);
});

describe("ccp add without a terminal", () => {
  test(
    "--yes --run-login --label --no-alias logs in, records the account and exits 0",
    async () => {
      const w = makeWorld();
      const r = await ccp(w, ["add", "--yes", "--run-login", "--label", "work", "--no-alias"]);
      expect(r.stderr).toContain("Added work.");
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("ccp run");
      expect(r.stderr).toContain("Daemon not started");
      const accounts = await listAccountsJson(w);
      expect(accounts).toHaveLength(1);
      const [a] = accounts;
      expect(a?.name).toBe("work");
      expect(a?.id).toBe(1);
      expect(a?.email).toBe("user-acct-01@example.com");
      expect(a?.configDir).toBe(join(w.accountsDir, "acct-01"));
      // The login wrote into the account's own dir, and the dir is private.
      expect(existsSync(join(w.accountsDir, "acct-01", ".credentials.json"))).toBe(true);
      expect(statSync(join(w.accountsDir, "acct-01")).mode & 0o777).toBe(0o700);
      // The overlay links the shared entries of the base.
      expect(readdirSync(join(w.accountsDir, "acct-01"))).toContain("settings.json");
      expect(existsSync(join(w.home, ".zshrc"))).toBe(false);
    },
    SLOW,
  );

  test(
    "only the add that creates the pool says it set cc-pool up, with a ~/ path",
    async () => {
      const w = makeWorld();
      // The default pool location, under the home folder.
      const first = await ccp(w, ["add", "-y", "--run-login", "--no-alias"], {
        env: { FAKE_EMAIL: "a@x.io", CCP_HOME: undefined },
      });
      expect(first.code).toBe(0);
      expect(first.stderr).toContain("Set up cc-pool in ~/.cc-pool.");
      // claude's own login chatter ("Logged in as …") goes to stderr: stdout carries data only.
      expect(first.stderr).toContain("Logged in as a@x.io");
      expect(first.stdout).toBe("");
      const second = await ccp(w, ["add", "-y", "--run-login", "--no-alias"], {
        env: { FAKE_EMAIL: "b@x.io", CCP_HOME: undefined },
      });
      expect(second.code).toBe(0);
      expect(second.stderr).not.toContain("Set up cc-pool");
    },
    SLOW,
  );

  test("--run-login without a terminal names what it would have to ask", async () => {
    const w = makeWorld();
    const r = await ccp(w, ["add", "--run-login"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "`ccp add --run-login` needs a terminal to ask whether to add another account",
    );
    expect(r.stderr).not.toContain("how to log in");
    expect(r.stderr).toContain("--yes");
    expect(existsSync(w.ccpHome)).toBe(false);
  });

  test("without --yes it fails and names the flags to pass; nothing is created", async () => {
    const w = makeWorld();
    const r = await ccp(w, ["add"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("needs a terminal");
    expect(r.stderr).toContain("--yes");
    expect(r.stderr).toContain("--run-login");
    expect(existsSync(w.ccpHome)).toBe(false);
  });

  test(
    "--count 2 --run-login adds two accounts without asking anything",
    async () => {
      const w = makeWorld();
      const r = await ccp(w, ["add", "--count", "2", "--run-login", "--no-alias"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("Your pool now has 2 accounts.");
      const accounts = await listAccountsJson(w);
      expect(accounts.map((a) => a.email)).toEqual(["user-acct-01@example.com", "user-acct-02@example.com"]);
      expect(accountDirs(w)).toEqual(["acct-01", "acct-02"]);
    },
    SLOW,
  );

  test("--count 2 without --run-login needs a terminal and says to add --run-login", async () => {
    const w = makeWorld();
    const r = await ccp(w, ["add", "--count", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--run-login");
    expect(existsSync(w.ccpHome)).toBe(false);
  });

  test(
    "--yes with --count adds the counted number",
    async () => {
      const w = makeWorld();
      const r = await ccp(w, ["add", "-y", "--count", "2", "--no-alias"]);
      expect(r.code).toBe(0);
      expect(await listAccountsJson(w)).toHaveLength(2);
    },
    SLOW,
  );

  test("bad --count values are usage errors and create nothing", async () => {
    const w = makeWorld();
    for (const value of ["0", "-1", "abc", "51", "1.5", ""]) {
      const r = await ccp(w, ["add", "--yes", "--run-login", "--count", value]);
      expect({ value, code: r.code }).toEqual({ value, code: 2 });
      expect(r.stderr).toContain("--count");
    }
    expect(existsSync(w.ccpHome)).toBe(false);
  });

  test("invalid --label values are usage errors and create nothing", async () => {
    const w = makeWorld();
    for (const value of ["", "   ", "../x", "a/b", "12", "acct-3", "x".repeat(65)]) {
      const r = await ccp(w, ["add", "--yes", "--run-login", "--no-alias", `--label=${value}`]);
      expect({ value, code: r.code }).toEqual({ value, code: 2 });
      expect(r.stderr).toContain("Invalid account name");
    }
    // Without a terminal the label is still checked first: a bad flag is a usage error.
    const noYes = await ccp(w, ["add", "--label", "../x"]);
    expect(noYes.code).toBe(2);
    expect(existsSync(w.ccpHome)).toBe(false);
  });

  test(
    "a 64-character label is accepted; a label already in use is refused before logging in",
    async () => {
      const w = makeWorld();
      const long = "x".repeat(64);
      const ok = await ccp(w, ["add", "--yes", "--run-login", "--no-alias", "--label", long]);
      expect(ok.code).toBe(0);
      const again = await ccp(w, [
        "add",
        "--yes",
        "--run-login",
        "--no-alias",
        "--label",
        long.toUpperCase(),
      ]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain("already named");
      expect(again.stderr).not.toContain("Starting `claude auth login`");
      expect(await listAccountsJson(w)).toHaveLength(1);
      expect(accountDirs(w)).toEqual(["acct-01"]);
    },
    SLOW,
  );

  test(
    "a login that fails leaves no account row and no account dir",
    async () => {
      const w = makeWorld();
      const r = await ccp(w, ["add", "--yes", "--run-login", "--no-alias"], {
        env: { FAKE_LOGIN_MODE: "fail" },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("The login ended without signing in");
      expect(r.stderr).toContain("ccp add");
      expect(await listAccountsJson(w)).toEqual([]);
      expect(accountDirs(w)).toEqual([]);
    },
    SLOW,
  );

  test(
    "a login that exits after signing in still counts",
    async () => {
      const w = makeWorld();
      const r = await ccp(w, ["add", "--yes", "--run-login", "--no-alias"], {
        env: { FAKE_LOGIN_MODE: "exit" },
      });
      expect(r.code).toBe(0);
      expect(await listAccountsJson(w)).toHaveLength(1);
    },
    SLOW,
  );

  test(
    "the same identity twice is refused without a terminal to ask; nothing is left behind",
    async () => {
      const w = makeWorld();
      const env = { FAKE_EMAIL: "same@example.com" };
      expect((await ccp(w, ["add", "--yes", "--run-login", "--no-alias"], { env })).code).toBe(0);
      const dirsBefore = accountDirs(w);
      const second = await ccp(w, ["add", "-y", "--run-login", "--no-alias"], { env });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        "same@example.com is already in the pool as same@example.com (account 1); it was not added again.",
      );
      expect(second.stderr).toContain("--allow-duplicate");
      expect(await listAccountsJson(w)).toHaveLength(1);
      expect(accountDirs(w)).toEqual(dirsBefore);
    },
    SLOW,
  );

  test(
    "one email in two organisations is two subscriptions",
    async () => {
      const w = makeWorld();
      const email = "same@example.com";
      const first = await ccp(w, ["add", "-y", "--run-login", "--no-alias"], {
        env: { FAKE_EMAIL: email, FAKE_ORG: "Personal" },
      });
      expect(first.code).toBe(0);
      // The stand-in derives the org uuid from the email; give the second login another one.
      const db = openPool(w.env);
      try {
        const [a] = listAccounts(db);
        const path = join(a?.configDir as string, ".claude.json");
        const config = JSON.parse(readFileSync(path, "utf8"));
        config.oauthAccount.organizationUuid = "org-personal";
        writeFileSync(path, JSON.stringify(config));
      } finally {
        db.close();
      }
      const second = await ccp(w, ["add", "-y", "--run-login", "--no-alias"], {
        env: { FAKE_EMAIL: email, FAKE_ORG: "Team" },
      });
      expect(second.code).toBe(0);
      expect(second.stderr).not.toContain("already in the pool");
      expect(await listAccountsJson(w)).toHaveLength(2);
    },
    SLOW,
  );

  test(
    "--allow-duplicate adds the same identity twice with a warning",
    async () => {
      const w = makeWorld();
      const env = { FAKE_EMAIL: "same@example.com" };
      const first = await ccp(w, ["add", "--yes", "--run-login", "--no-alias"], { env });
      expect(first.code).toBe(0);
      expect(first.stderr).not.toContain("already in the pool");
      const second = await ccp(w, ["add", "--yes", "--run-login", "--no-alias", "--allow-duplicate"], {
        env,
      });
      expect(second.code).toBe(0);
      expect(second.stderr).toContain(
        "same@example.com is already in the pool as same@example.com (account 1)",
      );
      const accounts = await listAccountsJson(w);
      expect(accounts.map((a) => a.email)).toEqual(["same@example.com", "same@example.com"]);
      // The second one could not take the same name; it is told under the name it really got.
      expect(accounts[1]?.name).toBe("same@example.com-2");
      expect(second.stderr).toContain("Added same@example.com-2.");
    },
    SLOW,
  );

  test("claude missing from PATH: exit 127 naming CCP_CLAUDE_BIN, nothing created", async () => {
    const w = makeWorld();
    const r = await ccp(w, ["add", "--yes", "--run-login", "--no-alias"], { env: { PATH: "/usr/bin:/bin" } });
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("was not found on PATH");
    expect(r.stderr).toContain("CCP_CLAUDE_BIN");
    expect(existsSync(w.ccpHome)).toBe(false);
  });

  test(
    "the scripted add never offers or writes the alias, even without --no-alias",
    async () => {
      const w = makeWorld();
      const r = await ccp(w, ["add", "--yes", "--run-login"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("Not adding a claude alias without a terminal");
      expect(existsSync(join(w.home, ".zshrc"))).toBe(false);
    },
    SLOW,
  );
});

describe("account ids", () => {
  test("two adds preparing at once get different ids and dirs", () => {
    const w = makeWorld();
    const a = openPool(w.env);
    const b = openPool(w.env);
    try {
      const first = prepareAccountDir(w.env, a);
      const second = prepareAccountDir(w.env, b);
      expect(second.id).not.toBe(first.id);
      expect(second.configDir).not.toBe(first.configDir);
      // The first dir survives the second prepare (it is still being logged in).
      expect(existsSync(join(first.configDir, ".claude.json"))).toBe(true);
      expect(readFileSync(join(first.configDir, ".claude.json"), "utf8")).toContain("hasCompletedOnboarding");
      expect(listAccounts(a)).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });
});
