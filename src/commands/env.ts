import { defineCommand } from "../command.ts";
import { env as readEnv } from "../env.ts";
import { CcpError, usageError } from "../errors.ts";
import { writeOut } from "../ui/output.ts";

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

export default defineCommand({
  meta: { name: "env", description: "Print shell export lines to launch an account by hand" },
  args: {
    account: {
      type: "string",
      description: "Account id or name (default: the best account)",
      valueHint: "id",
    },
    json: { type: "boolean", description: "Print the variables as JSON" },
  },
  async run({ args }) {
    if (args.account !== undefined && args.account.trim() === "")
      throw usageError("--account needs an account id or name.");
    const e = readEnv();
    const { openExistingPool } = await import("../app/pool.ts");
    const db = openExistingPool(e);
    if (!db)
      throw new CcpError("no-accounts", "The pool is empty.", {
        hint: "Run `ccp add` to add your first subscription.",
      });
    const { selectAccount } = await import("../app/select.ts");
    const { pluginCacheDir } = await import("../app/launch.ts");
    try {
      const selection = await selectAccount(e, db, {
        forced: args.account ?? e.forcedAccount,
        wait: false,
        noDaemon: false,
        freshMs: 60_000,
        cwd: process.cwd(),
        kind: "select",
        pid: null,
      });
      const vars = {
        CLAUDE_CONFIG_DIR: selection.account.configDir,
        CLAUDE_CODE_PLUGIN_CACHE_DIR: e.raw.CLAUDE_CODE_PLUGIN_CACHE_DIR || pluginCacheDir(e),
      };
      if (args.json) {
        writeOut(
          `${JSON.stringify({ account: { id: selection.account.id, name: selection.account.name }, env: vars }, null, 2)}\n`,
        );
      } else {
        for (const [k, v] of Object.entries(vars)) writeOut(`export ${k}=${shellQuote(v)}\n`);
      }
      if (selection.decision.warning) {
        const { log } = await import("../ui/log.ts");
        log.warn(selection.decision.warning);
      }
      return 0;
    } finally {
      db.close();
    }
  },
});
