import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

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
  run() {
    throw notImplemented("env");
  },
});
