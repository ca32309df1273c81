import { defineCommand } from "../command.ts";
import { env } from "../env.ts";
import { CcpError } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "login",
    description: "Log an account in again, in place (checks whether its login still works first)",
  },
  args: {
    account: { type: "positional", description: "Account id or name" },
    force: { type: "boolean", description: "Log in again even when the stored login still works" },
  },
  async run({ args }) {
    const e = env();
    const ref = args.account as string;
    const { openExistingPool } = await import("../app/pool.ts");
    const { accountToRelogin, baseRefused, namesBase, reloginAccount } = await import("../app/relogin.ts");
    const { log } = await import("../ui/log.ts");
    if (namesBase(e, ref)) throw baseRefused();
    const db = openExistingPool(e);
    if (!db) {
      throw new CcpError("unknown-account", `No account "${ref}": the pool is empty.`, {
        hint: "Run `ccp add` to add your first subscription.",
      });
    }
    try {
      const account = accountToRelogin(e, db, ref);
      const result = await reloginAccount(e, db, account, {
        force: Boolean(args.force),
        onCheck: (poll) =>
          log.info(
            `${account.name}'s stored login does not work (${poll.error ?? poll.status}); logging it in again.`,
          ),
        onStart: () =>
          log.dim(
            `Starting \`claude auth login\` for ${account.configDir}${account.email ? ` as ${account.email}` : ""}: finish the login in your browser.`,
          ),
      });
      const usage =
        result.poll.status === "ok" && result.poll.snapshot
          ? ` · 5h ${Math.round(result.poll.snapshot.util5Pct ?? 0)}% used · 7d ${Math.round(result.poll.snapshot.util7Pct ?? 0)}% used`
          : "";
      if (result.kind === "still-works") {
        log.success(`${account.name}'s login still works; it is back in the pool${usage}.`);
        log.dim("Pass --force to log in again anyway.");
        return 0;
      }
      log.success(`Logged ${account.name} in again${result.email ? ` as ${result.email}` : ""}${usage}.`);
      if (result.switched) {
        log.warn(
          `${account.name} is now a different subscription than before (${result.email ?? "another account"}); rename it with \`ccp rename ${account.id} <name>\` if its name no longer fits.`,
        );
      }
      if (result.poll.status !== "ok") {
        log.dim(
          `Its usage could not be read yet (${result.poll.error ?? result.poll.status}); the next poll retries.`,
        );
      }
      return 0;
    } finally {
      db.close();
    }
  },
});
