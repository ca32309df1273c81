import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: { name: "rename", description: "Rename an account; --auto derives names from the accounts' emails" },
  args: {
    account: { type: "positional", description: "Account id or name", required: false },
    name: { type: "positional", description: "New name", required: false },
    auto: { type: "boolean", description: "Derive names from account emails (skips custom names)" },
    force: { type: "boolean", description: "With --auto, overwrite custom names too" },
  },
  run() {
    throw notImplemented("rename");
  },
});
