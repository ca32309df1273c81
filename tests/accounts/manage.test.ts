import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { insertSession } from "../../src/store/sessions.ts";
import {
  accountDirs,
  addAccountDirect,
  ccp,
  listAccountsJson,
  makeWorld,
  reapStrayStandIns,
  sha256File,
  type World,
} from "./fixture.ts";

afterEach(() => {
  expect(reapStrayStandIns()).toEqual([]);
});

/** Two accounts: `work` (a custom name) and one named after its email. */
async function twoAccounts(w: World): Promise<void> {
  await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
  await addAccountDirect(w, { email: "bob@acme.io" });
}

function addSession(w: World, accountId: number, pid: number | null, expiresAtMs?: number): void {
  const db = openDb(w.dbPath);
  try {
    const kind = pid === null ? "select" : "run";
    insertSession(db, { accountId, kind, pid, cwd: "/tmp", startedAtMs: Date.now(), expiresAtMs });
  } finally {
    db.close();
  }
}

describe("ccp init", () => {
  test("creates a private pool, says the daemon was skipped, and is idempotent", async () => {
    const w = makeWorld();
    const first = await ccp(w, ["init"]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`Pool ready at ${w.ccpHome}`);
    expect(first.stderr).toContain("Daemon not started");
    expect(existsSync(w.dbPath)).toBe(true);
    expect(statSync(w.ccpHome).mode & 0o777).toBe(0o700);
    expect(statSync(w.accountsDir).mode & 0o777).toBe(0o700);

    await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const second = await ccp(w, ["init", "--no-service"]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("--no-service");
    expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["work"]);
  });

  test("an unknown flag is a usage error", async () => {
    const w = makeWorld();
    const r = await ccp(w, ["init", "--no-servce"]);
    expect(r.code).toBe(2);
    expect(existsSync(w.ccpHome)).toBe(false);
  });
});

describe("bare ccp", () => {
  test("on an empty pool without a terminal: exit 1 naming `ccp add`, nothing created", async () => {
    const w = makeWorld();
    const r = await ccp(w, []);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("The pool is empty");
    expect(r.stderr).toContain("ccp add");
    expect(existsSync(w.ccpHome)).toBe(false);
  });
});

describe("ccp list", () => {
  test("an empty pool lists nothing (and creates nothing)", async () => {
    const w = makeWorld();
    const table = await ccp(w, ["list"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe("");
    expect(table.stderr).toContain("ccp add");
    expect(await listAccountsJson(w)).toEqual([]);
    expect(existsSync(w.ccpHome)).toBe(false);
  });

  test("the table shows id, name, email, org, config dir and credential location", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "alice@gmail.com", label: "work", org: "Acme Corp" });
    const r = await ccp(w, ["list"]);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trimEnd().split("\n");
    expect(header?.split(/\s{2,}/)).toEqual(["ID", "NAME", "EMAIL", "ORG", "CONFIG DIR", "CREDENTIAL"]);
    const dir = join(w.accountsDir, "acct-01");
    expect(row?.split(/\s{2,}/)).toEqual([
      "1",
      "work",
      "alice@gmail.com",
      "Acme Corp",
      dir,
      `File ${join(dir, ".credentials.json")}`,
    ]);
    // Nothing secret is listed.
    expect(r.stdout).not.toContain("sk-ant-");
  });

  test("--json has the documented fields", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    const r = await ccp(w, ["list", "--json"]);
    expect(r.code).toBe(0);
    const { accounts } = JSON.parse(r.stdout) as { accounts: Record<string, unknown>[] };
    expect(accounts).toHaveLength(2);
    const dir = join(w.accountsDir, "acct-01");
    expect(accounts[0]).toMatchObject({
      id: 1,
      name: "work",
      configDir: dir,
      keychainService: null,
      credentialLocation: `File ${join(dir, ".credentials.json")}`,
      email: "alice@gmail.com",
    });
    for (const key of ["id", "name", "configDir", "keychainService", "credentialLocation", "email"]) {
      expect(Object.keys(accounts[1] ?? {})).toContain(key);
    }
    expect(r.stdout).not.toContain("sk-ant-");
  });
});

describe("ccp rename", () => {
  test("by id and by name; the new name shows in the list", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    const byId = await ccp(w, ["rename", "1", "office"]);
    expect(byId.code).toBe(0);
    expect(byId.stderr).toContain("Renamed account 1: work → office.");
    const byName = await ccp(w, ["rename", "BOB@acme.io", "side"]);
    expect(byName.code).toBe(0);
    expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["office", "side"]);
  });

  test("usage errors: unknown account, taken or invalid name, missing arguments, empty pool", async () => {
    const empty = makeWorld();
    expect((await ccp(empty, ["rename", "1", "x"])).code).toBe(2);

    const w = makeWorld();
    await twoAccounts(w);
    const unknown = await ccp(w, ["rename", "7", "x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No account "7"');
    expect(unknown.stderr).toContain("1 (work)");
    const taken = await ccp(w, ["rename", "2", "WORK"]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain("already named");
    for (const bad of ["12", "../x", "x".repeat(65), " "]) {
      expect({ bad, code: (await ccp(w, ["rename", "2", bad])).code }).toEqual({ bad, code: 2 });
    }
    expect((await ccp(w, ["rename", "2"])).code).toBe(2);
    expect((await ccp(w, ["rename"])).code).toBe(2);
    expect((await ccp(w, ["rename", "2", "x", "--force"])).code).toBe(2);
    expect((await ccp(w, ["rename", "--auto", "2"])).code).toBe(2);
    expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["work", "bob@acme.io"]);
  });

  test("--auto derives names from the emails and keeps custom names; --force renames those too", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    await addAccountDirect(w, { email: "carol@acme.io", org: "Acme Corp" });
    const auto = await ccp(w, ["rename", "--auto"]);
    expect(auto.code).toBe(0);
    // bob's org is a personal placeholder, so the domain names it; carol's org is real.
    expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["work", "acme", "acme-corp"]);

    const again = await ccp(w, ["rename", "--auto"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("already has its derived name");

    const forced = await ccp(w, ["rename", "--auto", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain("work → alice");
    expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["alice", "acme", "acme-corp"]);
  });

  test("--auto leaves a name given by hand alone; an accepted email suggestion is not custom", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "dave@gmail.com", label: "dave@gmail.com" });
    await addAccountDirect(w, { email: "erin@gmail.com" });
    await ccp(w, ["rename", "2", "mine"]);
    expect((await ccp(w, ["rename", "--auto"])).code).toBe(0);
    expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["dave", "mine"]);
  });

  test("--auto finds the shortest names that tell one domain's accounts apart, and reports only changes", async () => {
    const w = makeWorld();
    // Onboarding names them after their addresses.
    await addAccountDirect(w, { email: "ann@example.com" });
    await addAccountDirect(w, { email: "bob@example.com" });
    await addAccountDirect(w, { email: "cy@example.com" });
    const first = await ccp(w, ["rename", "--auto"]);
    expect(first.code).toBe(0);
    expect((await listAccountsJson(w)).map((a) => a.name)).toEqual(["ann", "bob", "cy"]);
    expect(first.stderr).toContain("Renamed account 1: ann@example.com → ann.");
    const again = await ccp(w, ["rename", "--auto"]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("Renamed");
    expect(again.stderr).toContain("already has its derived name");
  });

  test("--auto on an empty pool is fine", async () => {
    const w = makeWorld();
    const r = await ccp(w, ["rename", "--auto"]);
    expect(r.code).toBe(0);
    expect(existsSync(w.ccpHome)).toBe(false);
  });
});

describe("ccp remove", () => {
  test("removes the row, the dir and the credential; the other account and ~/.claude stay", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    const other = join(w.accountsDir, "acct-02");
    const otherCred = sha256File(join(other, ".credentials.json"));
    const otherEntries = readdirSync(other).sort();
    const r = await ccp(w, ["remove", "work"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Removed work (account 1)");
    expect((await listAccountsJson(w)).map((a) => a.id)).toEqual([2]);
    expect(accountDirs(w)).toEqual(["acct-02"]);
    expect(sha256File(join(other, ".credentials.json"))).toBe(otherCred);
    expect(readdirSync(other).sort()).toEqual(otherEntries);
    // Shared entries of the base survive the removal of the links that pointed at them.
    expect(existsSync(join(w.home, ".claude", "settings.json"))).toBe(true);
  });

  test("unknown account or empty pool: exit 2; a missing argument: exit 2", async () => {
    const empty = makeWorld();
    expect((await ccp(empty, ["remove", "1"])).code).toBe(2);
    const w = makeWorld();
    await twoAccounts(w);
    const r = await ccp(w, ["remove", "9"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No account "9"');
    expect((await ccp(w, ["remove"])).code).toBe(2);
    expect(await listAccountsJson(w)).toHaveLength(2);
  });

  test("refuses while a session runs on the account, naming it; a dead session does not block", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    addSession(w, 1, process.pid);
    const refused = await ccp(w, ["remove", "1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Account work has 1 running session(s): pid ${process.pid}.`);
    expect(await listAccountsJson(w)).toHaveLength(2);
    expect(existsSync(join(w.accountsDir, "acct-01", ".credentials.json"))).toBe(true);

    // A session on another account does not matter; one whose process is gone does not either.
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    addSession(w, 2, gone.pid);
    const removed = await ccp(w, ["remove", "2"]);
    expect(removed.code).toBe(0);
    expect((await listAccountsJson(w)).map((a) => a.id)).toEqual([1]);
  });

  test("a reservation from `ccp select`/`ccp env` never blocks a removal", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    addSession(w, 2, null, Date.now() + 60_000);
    const removed = await ccp(w, ["remove", "2"]);
    expect(removed.stderr).not.toContain("reserved");
    expect(removed.code).toBe(0);
    expect((await listAccountsJson(w)).map((a) => a.id)).toEqual([1]);
  });

  test("--force removes an account while a session runs on it", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    addSession(w, 1, process.pid);
    const r = await ccp(w, ["remove", "1", "--force"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Removed work (account 1)");
    expect((await listAccountsJson(w)).map((a) => a.id)).toEqual([2]);
    expect(existsSync(join(w.accountsDir, "acct-01"))).toBe(false);
  });

  test("--keep-credential keeps the credentials file and nothing else; the account is gone", async () => {
    const w = makeWorld();
    await twoAccounts(w);
    const dir = join(w.accountsDir, "acct-01");
    const cred = join(dir, ".credentials.json");
    const before = sha256File(cred);
    const r = await ccp(w, ["remove", "1", "--keep-credential"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`its stored login was kept (File ${cred})`);
    expect(sha256File(cred)).toBe(before);
    expect(readdirSync(dir)).toEqual([".credentials.json"]);
    expect((await listAccountsJson(w)).map((a) => a.id)).toEqual([2]);
    // The id is not handed out again, so a new account never picks up the kept login.
    const next = await addAccountDirect(w, { email: "new@gmail.com" });
    expect(next.id).toBe(3);
  });
});
