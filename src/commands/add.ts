import { defineCommand } from "../command.ts";
import { env } from "../env.ts";

export default defineCommand({
  meta: {
    name: "add",
    description: "Pool a subscription: each account logs in with its own `claude /login`",
  },
  args: {
    label: { type: "string", description: "Name for the first account", valueHint: "name" },
    count: {
      type: "string",
      description: "Add exactly N accounts, without asking to continue",
      valueHint: "n",
    },
    yes: { type: "boolean", alias: "y", description: "Add one account and log in right away" },
    "run-login": { type: "boolean", description: "Log in immediately instead of asking how" },
    "no-alias": { type: "boolean", description: "Do not add a `claude` shell alias" },
    "no-service": { type: "boolean", description: "Do not start the daemon" },
    "allow-duplicate": {
      type: "boolean",
      description: "Without a terminal, add a subscription that is already in the pool",
    },
  },
  async run({ args }) {
    const { addAccounts, parseCount } = await import("../app/add.ts");
    return addAccounts(env(), {
      label: args.label,
      count: parseCount(args.count),
      yes: Boolean(args.yes),
      runLogin: Boolean(args["run-login"]),
      noAlias: Boolean(args["no-alias"]),
      noService: Boolean(args["no-service"]),
      allowDuplicate: Boolean(args["allow-duplicate"]),
    });
  },
});
