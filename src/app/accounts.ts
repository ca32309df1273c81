import { chmodSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { assertAccountDir, removeInsideTree } from "../fs/safe-path.ts";
import { readAccountIdentity } from "../overlay/identity.ts";
import { ensureBaseSharedDirs, syncOverlay, teardownOverlay } from "../overlay/symlinks.ts";
import { seedAccountClaudeJson } from "../overlay/claude-json.ts";
import { CREDENTIALS_FILE_NAME } from "../secrets/file-store.ts";
import { retireCredential } from "../secrets/credential-write.ts";
import { createCredentialStore } from "../secrets/index.ts";
import { CLAUDE_LOCK_OWNER_NAME, CLAUDE_REFRESH_LOCK_NAME } from "../usage/lock-dir.ts";
import { refreshLockPath } from "./refresh.ts";
import {
  type AccountRow,
  accountDirName,
  deleteAccountRow,
  insertAccount,
  nameTaken,
  reserveAccountId,
  updateIdentity,
  validateAccountName,
} from "../store/accounts.ts";
import { type Db, writeTx } from "../store/db.ts";
import { runningSessions } from "../store/sessions.ts";
import { log } from "../ui/log.ts";

export function accountConfigDir(env: Env, id: number): string {
  return join(env.accountsDir, accountDirName(id));
}

/** A free placeholder name for a new account: `account-N`. */
export function placeholderName(db: Db, id: number): string {
  let name = `account-${id}`;
  for (let n = 2; nameTaken(db, name); n++) name = `account-${id}-${n}`;
  return name;
}

/**
 * Prepares the dir of the next account (0700, seeded `.claude.json`, overlay links) without
 * recording it: an account is recorded only once its login has produced an identity.
 */
export function prepareAccountDir(env: Env, db: Db): { id: number; configDir: string } {
  // Reserved, not just computed: two `ccp add` at once must not share (and wipe) one dir.
  const id = writeTx(db, () => reserveAccountId(db));
  const configDir = accountConfigDir(env, id);
  // Left over from an interrupted add: start clean, but never follow a link out of the pool.
  if (assertAccountDir(env.accountsDir, configDir) === "ok") discardAccountDir(env, configDir);
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  chmodSync(configDir, 0o700);
  seedAccountClaudeJson({ baseJsonPath: env.claudeJson, accountDir: configDir });
  // Before the first launch, so no session of this account ever grows its own shared dirs.
  try {
    ensureBaseSharedDirs(env.claudeDir);
  } catch (error) {
    log.warn(
      `${(error as Error).message} History would stay per account until it exists (run \`ccp doctor\`).`,
    );
  }
  syncOverlay({ baseDir: env.claudeDir, accountDir: configDir });
  return { id, configDir };
}

/**
 * Removes an account dir: overlay links first (never following them), then the dir itself. A dir
 * that is a symlink (or anything else cc-pool did not make) is refused, never entered.
 */
export function discardAccountDir(env: Env, configDir: string): void {
  if (assertAccountDir(env.accountsDir, configDir) === "missing") return;
  teardownOverlay({ baseDir: env.claudeDir, accountDir: configDir });
  removeInsideTree(env.accountsDir, configDir);
}

/**
 * Drops an account that was prepared but not recorded: its stored login (a Keychain item lives
 * outside the dir) and its dir. Never throws: it runs while another error is on its way out.
 */
export async function discardPreparedAccount(env: Env, configDir: string): Promise<void> {
  try {
    await createCredentialStore(env).delete(configDir);
  } catch (error) {
    log.warn(
      `Could not delete the login stored for ${configDir}: ${(error as Error).message} It belongs to no account.`,
    );
  }
  try {
    discardAccountDir(env, configDir);
  } catch (error) {
    log.warn(`Could not delete ${configDir}: ${(error as Error).message}`);
  }
}

/**
 * The email as the account's default name, when it is a valid name: an address carrying control
 * or bidi characters (it comes from the server's profile) never becomes a name.
 */
function nameFromEmail(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  try {
    return validateAccountName(email);
  } catch {
    return undefined;
  }
}

export interface RecordedAccount {
  id: number;
  name: string;
  configDir: string;
  email: string | null;
}

/** Records a logged-in account. The dir must hold an identity. */
export function recordAccount(
  db: Db,
  prepared: { id: number; configDir: string },
  name: string | undefined,
  nowMs: number,
): RecordedAccount {
  const identity = readAccountIdentity(prepared.configDir);
  if (!identity) {
    throw new CcpError(
      "failure",
      `The login for ${prepared.configDir} did not finish: no identity was written.`,
      {
        hint: "Run `ccp add` again and complete the login in the browser.",
      },
    );
  }
  const finalName = name ?? nameFromEmail(identity.email) ?? placeholderName(db, prepared.id);
  // Accepting the suggested email is not a custom name: `ccp rename --auto` may still rename it.
  const nameIsCustom = name !== undefined && name !== identity.email;
  const recordedName = writeTx(db, () => {
    // Checked inside the write transaction, so a name taken meanwhile (a rename, another `add`)
    // gets a free suffix instead of failing after the login succeeded.
    let unique = finalName;
    for (let n = 1; nameTaken(db, unique); n++)
      unique = n === 1 ? `${finalName}-${prepared.id}` : `${finalName}-${prepared.id}-${n}`;
    insertAccount(db, {
      id: prepared.id,
      name: unique,
      nameIsCustom,
      configDir: prepared.configDir,
      email: identity.email ?? null,
      orgName: identity.organizationName ?? null,
      accountUuid: identity.accountUuid,
      createdAtMs: nowMs,
    });
    return unique;
  });
  return {
    id: prepared.id,
    name: recordedName,
    configDir: prepared.configDir,
    email: identity.email ?? null,
  };
}

/** Re-reads the identity an account's login wrote and stores it. */
export function refreshIdentity(db: Db, account: AccountRow): void {
  const identity = readAccountIdentity(account.configDir);
  if (!identity) return;
  updateIdentity(db, account.id, {
    email: identity.email ?? null,
    orgName: identity.organizationName ?? null,
    accountUuid: identity.accountUuid,
  });
}

export interface RemoveOptions {
  keepCredential: boolean;
  /** Remove even while sessions run on it (they keep working, untracked, until they end). */
  force?: boolean;
  nowMs: number;
}

/**
 * Before an account dir goes: transcripts or history it grew in real dirs of its own (an older
 * cc-pool, a base that lacked the folder) move into ~/.claude, so removing the account loses no
 * conversation. A file that also exists in ~/.claude with other content stops the removal: which
 * copy to keep is the user's call, never settled by deleting one.
 */
function keepSharedHistory(env: Env, account: AccountRow): void {
  if (!existsSync(account.configDir)) return;
  let collisions: string[] = [];
  try {
    const report = syncOverlay(
      { baseDir: env.claudeDir, accountDir: account.configDir },
      { mergeIntoBase: true },
    );
    collisions = report.conflicts.flatMap((c) => (c.collisions ?? []).map((p) => join(c.path, p)));
  } catch (error) {
    log.warn(`Could not move ${account.configDir}'s own history into ~/.claude: ${(error as Error).message}`);
  }
  if (collisions.length > 0) {
    throw new CcpError(
      "conflict",
      `${account.name} holds files that also exist in ~/.claude with other content: ${collisions.join(", ")}.`,
      {
        hint: "Keep the copy you want (`ccp doctor` names both paths), delete the other, then run `ccp remove` again.",
      },
    );
  }
}

/** Claude Code's lock entries inside a config dir: held while pruning, removed on release. */
const CLAUDE_LOCK_ENTRIES = new Set([CLAUDE_REFRESH_LOCK_NAME, CLAUDE_LOCK_OWNER_NAME]);

/** The login lives inside the dir on this platform: keep just that file. */
function keepOnlyCredentialFile(env: Env, configDir: string): void {
  if (assertAccountDir(env.accountsDir, configDir) === "missing") return;
  teardownOverlay({ baseDir: env.claudeDir, accountDir: configDir });
  for (const entry of readdirSync(configDir)) {
    if (entry !== CREDENTIALS_FILE_NAME && !CLAUDE_LOCK_ENTRIES.has(entry))
      removeInsideTree(configDir, join(configDir, entry));
  }
}

/**
 * Removes one account: refuses while a session runs on it (unless forced); a reservation never
 * blocks. Only ever adds to ~/.claude.
 */
export async function removeAccount(
  env: Env,
  db: Db,
  account: AccountRow,
  options: RemoveOptions,
): Promise<void> {
  // Before anything is moved or deleted: a dir swapped for a link would lead it into its target.
  assertAccountDir(env.accountsDir, account.configDir);
  keepSharedHistory(env, account);
  // Checked and deleted in one transaction, so a launch cannot slip in between.
  writeTx(db, () => {
    const live = runningSessions(db, options.nowMs).filter((s) => s.accountId === account.id);
    if (live.length > 0 && !options.force) {
      const pids = live.map((s) => `pid ${s.pid}`);
      throw new CcpError(
        "conflict",
        `Account ${account.name} has ${live.length} running session(s): ${pids.join(", ")}.`,
        {
          hint: "End those sessions first, or pass --force to remove it anyway (they keep running until they end, but their login is deleted).",
        },
      );
    }
    deleteAccountRow(db, account.id);
  });
  const store = createCredentialStore(env);
  const keepFileOnly = options.keepCredential && store.kind === "file";
  // Through the credential module, under the refresh locks: a refresh in flight ends first (its
  // new pair is what is kept or deleted), and an interrupted write is recovered, not thrown away.
  const outcome = await retireCredential(
    { configDir: account.configDir, store, lockPath: refreshLockPath(env, account.id) },
    keepFileOnly
      ? { keep: true, prune: () => keepOnlyCredentialFile(env, account.configDir) }
      : options.keepCredential
        ? { keep: true }
        : { keep: false },
  );
  if (outcome.status !== "retired") {
    const where = store.locate(account.configDir).description;
    if (options.keepCredential) {
      throw new CcpError(
        "credential",
        `Removed ${account.name} from the pool and kept its stored login (${where}), but could not tidy ${account.configDir}: ${outcome.message}`,
        { hint: `Nothing was lost. Delete the other files in ${account.configDir} yourself if you like.` },
      );
    }
    discardAccountDir(env, account.configDir);
    throw new CcpError(
      "credential",
      `Removed ${account.name} from the pool, but its stored login (${where}) could not be deleted: ${outcome.message}`,
      { hint: "Delete it yourself; no account uses it any more." },
    );
  }
  if (keepFileOnly) return;
  discardAccountDir(env, account.configDir);
}
