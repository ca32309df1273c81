import { defineCommand } from "../command.ts";
import { env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { quoteArg } from "../ui/safe-text.ts";

export default defineCommand({
  meta: { name: "remove", description: "Remove an account from the pool" },
  args: {
    account: { type: "positional", description: "Account id or name" },
    "keep-credential": { type: "boolean", description: "Keep the account's stored login" },
    force: { type: "boolean", description: "Remove it even while sessions run on it" },
  },
  async run({ args }) {
    const e = env();
    const { openExistingPool } = await import("../app/pool.ts");
    const { resolveAccount } = await import("../store/accounts.ts");
    const { removeAccount } = await import("../app/accounts.ts");
    const { log } = await import("../ui/log.ts");
    const db = openExistingPool(e);
    if (!db) {
      throw new CcpError(
        "unknown-account",
        `No account ${quoteArg(String(args.account))}: the pool is empty.`,
        {
          hint: "Run `ccp list` to see the accounts.",
        },
      );
    }
    try {
      const account = resolveAccount(db, args.account as string);
      await removeAccount(e, db, account, {
        keepCredential: Boolean(args["keep-credential"]),
        force: Boolean(args.force),
        nowMs: Date.now(),
      });
      const { locateCredential } = await import("../secrets/index.ts");
      const kept = args["keep-credential"]
        ? `; its stored login was kept (${locateCredential(e, account.configDir).description})`
        : "";
      log.success(`Removed ${account.name} (account ${account.id})${kept}.`);
      return 0;
    } finally {
      db.close();
    }
  },
});
