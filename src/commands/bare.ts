import { env } from "../env.ts";
import { CcpError } from "../errors.ts";

/** Bare `ccp`: onboarding on an empty pool (terminal only), the status view otherwise. */
export async function runBare(): Promise<number> {
  const e = env();
  const { openExistingPool } = await import("../app/pool.ts");
  const { listAccounts } = await import("../store/accounts.ts");
  const db = openExistingPool(e);
  const count = db ? listAccounts(db).length : 0;
  db?.close();
  if (count > 0) {
    const { loadCommand } = await import("./registry.ts");
    const status = await loadCommand("status");
    const { parseCommandArgs } = await import("../command.ts");
    return (await status?.run({ args: parseCommandArgs("status", [], status.args), rawArgs: [] })) ?? 0;
  }
  const { canPrompt } = await import("../ui/prompts.ts");
  if (!canPrompt()) {
    throw new CcpError(
      "no-accounts",
      "The pool is empty and this is not a terminal, so there is nothing to show or set up.",
      {
        hint: "Run `ccp add` in a terminal (or `ccp add --yes --run-login` in a script) to add your first account.",
      },
    );
  }
  const { addAccounts } = await import("../app/add.ts");
  return addAccounts(e, { yes: false, runLogin: false, noAlias: false, noService: false, onboarding: true });
}
