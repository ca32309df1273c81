import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

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
  },
  run() {
    throw notImplemented("add");
  },
});
