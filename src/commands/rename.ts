import { defineCommand } from "../command.ts";
import { env } from "../env.ts";
import { CcpError, usageError } from "../errors.ts";
import { quoteArg } from "../ui/safe-text.ts";

export default defineCommand({
  meta: { name: "rename", description: "Rename an account; --auto derives names from the accounts' emails" },
  args: {
    account: { type: "positional", description: "Account id or name", required: false },
    name: { type: "positional", description: "New name", required: false },
    auto: { type: "boolean", description: "Derive names from account emails (skips custom names)" },
    force: { type: "boolean", description: "With --auto, overwrite custom names too" },
  },
  async run({ args }) {
    if (args.auto && (args.account !== undefined || args.name !== undefined)) {
      throw usageError(
        "`ccp rename --auto` takes no account or name.",
        "Run `ccp rename --auto`, or `ccp rename <id> <name>`.",
      );
    }
    if (!args.auto && args.force) throw usageError("--force only applies with --auto.");
    if (!args.auto && (args.account === undefined || args.name === undefined)) {
      throw usageError(
        "`ccp rename` needs an account and a new name.",
        "Example: `ccp rename 2 work`, or `ccp rename --auto`.",
      );
    }
    const e = env();
    const { openExistingPool } = await import("../app/pool.ts");
    const store = await import("../store/accounts.ts");
    const { writeTx } = await import("../store/db.ts");
    const { log } = await import("../ui/log.ts");
    const db = openExistingPool(e);
    if (!db) {
      if (args.auto) {
        log.info("The pool is empty: nothing to rename.");
        return 0;
      }
      throw new CcpError(
        "unknown-account",
        `No account ${quoteArg(String(args.account))}: the pool is empty.`,
        {
          hint: "Run `ccp add` first.",
        },
      );
    }
    try {
      if (!args.auto) {
        const account = store.resolveAccount(db, args.account as string);
        const name = store.validateAccountName(args.name as string);
        if (store.nameTaken(db, name, account.id)) {
          throw usageError(`Another account is already named "${name}".`, "Pick a different name.");
        }
        writeTx(db, () => store.renameAccountRow(db, account.id, name, true));
        log.success(`Renamed account ${account.id}: ${account.name} → ${name}.`);
        return 0;
      }
      const { distinctAccountNames } = await import("../overlay/account-name.ts");
      const { readAccountIdentity } = await import("../overlay/identity.ts");
      let changed = 0;
      writeTx(db, () => {
        const accounts = store.listAccounts(db);
        const renamable = accounts.filter((a) => !a.nameIsCustom || args.force);
        // Names kept by hand stay theirs: the derived ones must not collide with them.
        const reserved = new Set(
          accounts.filter((a) => !renamable.includes(a)).map((a) => a.name.toLowerCase()),
        );
        const valid = (name: string): boolean => {
          try {
            store.validateAccountName(name);
            return true;
          } catch {
            return false;
          }
        };
        const names = distinctAccountNames(
          renamable.map((a) => ({ id: a.id, identity: readAccountIdentity(a.configDir) })),
          reserved,
          valid,
        );
        const changes = renamable.filter((a) => {
          const name = names.get(a.id);
          return name !== undefined && name !== a.name;
        });
        // Two accounts may swap names: park the changing ones first so no step hits the unique index.
        for (const a of changes) store.renameAccountRow(db, a.id, `.renaming-${a.id}`, false);
        for (const a of changes) {
          const name = names.get(a.id) as string;
          store.renameAccountRow(db, a.id, name, false);
          log.success(`Renamed account ${a.id}: ${a.name} → ${name}.`);
          changed++;
        }
      });
      if (changed === 0)
        log.info("Every account already has its derived name (custom names are kept without --force).");
      return 0;
    } finally {
      db.close();
    }
  },
});
