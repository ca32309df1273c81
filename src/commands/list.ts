import { defineCommand } from "../command.ts";
import { env } from "../env.ts";
import { writeOut, writeErr } from "../ui/output.ts";

export default defineCommand({
  meta: { name: "list", description: "List accounts: ids, names, config dirs, credential locations" },
  args: {
    json: { type: "boolean", description: "Print the accounts as JSON" },
  },
  async run({ args }) {
    const e = env();
    const { openExistingPool } = await import("../app/pool.ts");
    const { listAccounts } = await import("../store/accounts.ts");
    const { locateCredential } = await import("../secrets/index.ts");
    const db = openExistingPool(e);
    const accounts = db ? listAccounts(db) : [];
    db?.close();
    const rows = accounts.map((a) => {
      const where = locateCredential(e, a.configDir);
      return {
        id: a.id,
        name: a.name,
        configDir: a.configDir,
        keychainService: where.keychainService ?? null,
        keychainAccount: where.keychainAccount ?? null,
        credentialLocation: where.description,
        email: a.email,
        organization: a.orgName,
      };
    });
    if (args.json) {
      writeOut(`${JSON.stringify({ accounts: rows }, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      writeErr("The pool is empty. Run `ccp add` to add your first subscription.\n");
      return 0;
    }
    const { renderColumns } = await import("../ui/table.ts");
    const lines = renderColumns([
      ["ID", "NAME", "EMAIL", "ORG", "CONFIG DIR", "CREDENTIAL"],
      ...rows.map((r) => [
        String(r.id),
        r.name,
        r.email ?? "-",
        r.organization ?? "-",
        r.configDir,
        r.credentialLocation,
      ]),
    ]);
    writeOut(`${lines.join("\n")}\n`);
    return 0;
  },
});
