import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: { name: "list", description: "List accounts: ids, names, config dirs, credential locations" },
  args: {
    json: { type: "boolean", description: "Print the accounts as JSON" },
  },
  run() {
    throw notImplemented("list");
  },
});
