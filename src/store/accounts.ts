import { CcpError } from "../errors.ts";
import type { Db } from "./db.ts";
import { hasUnsafeText, quoteArg } from "../ui/safe-text.ts";

export interface AccountRow {
  id: number;
  name: string;
  nameIsCustom: boolean;
  configDir: string;
  email: string | null;
  orgName: string | null;
  accountUuid: string | null;
  createdAtMs: number;
}

/** An `accounts` row as SQLite returns it. */
export interface RawAccount {
  id: number;
  name: string;
  name_is_custom: number;
  config_dir: string;
  email: string | null;
  org_name: string | null;
  account_uuid: string | null;
  created_at_ms: number;
}

export function toRow(r: RawAccount): AccountRow {
  return {
    id: r.id,
    name: r.name,
    nameIsCustom: r.name_is_custom === 1,
    configDir: r.config_dir,
    email: r.email,
    orgName: r.org_name,
    accountUuid: r.account_uuid,
    createdAtMs: r.created_at_ms,
  };
}

export function listAccounts(db: Db): AccountRow[] {
  return db.query<RawAccount, []>("SELECT * FROM accounts ORDER BY id").all().map(toRow);
}

/** Accounts with no poll recorded at all (no `account_usage` summary), in one query. */
export function listUnsampledAccounts(db: Db): AccountRow[] {
  return db
    .query<RawAccount, []>(
      `SELECT * FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM account_usage u WHERE u.account_id = a.id)
       ORDER BY id`,
    )
    .all()
    .map(toRow);
}

export function getAccount(db: Db, id: number): AccountRow | undefined {
  const r = db.query<RawAccount, [number]>("SELECT * FROM accounts WHERE id = ?").get(id);
  return r ? toRow(r) : undefined;
}

/** `acct-NN` for id NN: two digits, more when needed. */
export function accountDirName(id: number): string {
  return `acct-${String(id).padStart(2, "0")}`;
}

/** Accepts an id (`2`, `02`, `acct-02`) or a name (case-insensitive). */
export function findAccount(db: Db, ref: string): AccountRow | undefined {
  const trimmed = ref.trim();
  const idMatch = /^(?:acct-)?(\d{1,6})$/i.exec(trimmed);
  if (idMatch) {
    const byId = getAccount(db, Number(idMatch[1]));
    if (byId) return byId;
  }
  const r = db
    .query<RawAccount, [string]>("SELECT * FROM accounts WHERE name = ? COLLATE NOCASE")
    .get(trimmed);
  return r ? toRow(r) : undefined;
}

/** Like findAccount, but an unknown reference is a usage error (exit 2) listing what exists. */
export function resolveAccount(db: Db, ref: string): AccountRow {
  const found = findAccount(db, ref);
  if (found) return found;
  const known = listAccounts(db).map((a) => `${a.id} (${a.name})`);
  throw new CcpError("unknown-account", `No account ${quoteArg(ref)} in the pool.`, {
    hint:
      known.length > 0 ? `Known accounts: ${known.join(", ")}.` : "The pool is empty: run `ccp add` first.",
  });
}

/**
 * The next id. Ids are never reused: a removed account's kept credential must not be picked up by
 * a new account whose dir (and so Keychain item name) would be the same.
 */
export function nextAccountId(db: Db): number {
  const maxRow = db.query<{ m: number | null }, []>("SELECT max(id) AS m FROM accounts").get();
  const last = db.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'last_account_id'").get();
  return Math.max(maxRow?.m ?? 0, Number(last?.value ?? 0)) + 1;
}

/**
 * Takes the next id for an account being added and records it as used, so a second `ccp add`
 * running at the same time gets another id (and another dir). Call inside a write transaction.
 */
export function reserveAccountId(db: Db): number {
  const id = nextAccountId(db);
  bumpLastAccountId(db, id);
  return id;
}

function bumpLastAccountId(db: Db, id: number): void {
  db.run(
    "INSERT INTO meta (key, value) VALUES ('last_account_id', ?) ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
    [String(id)],
  );
}

export interface NewAccount {
  id: number;
  name: string;
  nameIsCustom: boolean;
  configDir: string;
  email?: string | null;
  orgName?: string | null;
  accountUuid?: string | null;
  createdAtMs: number;
}

export function insertAccount(db: Db, a: NewAccount): void {
  db.run(
    `INSERT INTO accounts (id, name, name_is_custom, config_dir, email, org_name, account_uuid, created_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      a.id,
      a.name,
      a.nameIsCustom ? 1 : 0,
      a.configDir,
      a.email ?? null,
      a.orgName ?? null,
      a.accountUuid ?? null,
      a.createdAtMs,
    ],
  );
  bumpLastAccountId(db, a.id);
}

export function updateIdentity(
  db: Db,
  id: number,
  identity: { email: string | null; orgName: string | null; accountUuid: string | null },
): void {
  db.run("UPDATE accounts SET email = ?, org_name = ?, account_uuid = ? WHERE id = ?", [
    identity.email,
    identity.orgName,
    identity.accountUuid,
    id,
  ]);
}

export function renameAccountRow(db: Db, id: number, name: string, custom: boolean): void {
  db.run("UPDATE accounts SET name = ?, name_is_custom = ? WHERE id = ?", [name, custom ? 1 : 0, id]);
}

/** Deletes the account and (by cascade) its samples, sessions, pins and health rows. */
export function deleteAccountRow(db: Db, id: number): void {
  db.run("DELETE FROM accounts WHERE id = ?", [id]);
}

export function nameTaken(db: Db, name: string, exceptId?: number): boolean {
  const r = db
    .query<{ id: number }, [string]>("SELECT id FROM accounts WHERE name = ? COLLATE NOCASE")
    .get(name);
  return r !== null && r.id !== exceptId;
}

const MAX_NAME_LENGTH = 64;

/** Names are shown in tables and used on command lines: printable, no path separators, not numeric. */
export function validateAccountName(name: string): string {
  const trimmed = name.trim().normalize("NFC");
  const fail = (why: string): never => {
    throw new CcpError("usage", `Invalid account name ${quoteArg(name)}: ${why}.`, {
      hint: "Use letters, digits, spaces, dots, dashes, underscores or @ (up to 64 characters).",
    });
  };
  if (trimmed === "") fail("it is empty");
  if ([...trimmed].length > MAX_NAME_LENGTH) fail(`it is longer than ${MAX_NAME_LENGTH} characters`);
  if (/[/\\]/.test(trimmed) || hasUnsafeText(trimmed)) {
    fail("it contains a control, bidi or invisible character, or a slash");
  }
  if (/^(?:acct-)?\d+$/i.test(trimmed)) fail("it looks like an account id");
  return trimmed;
}
