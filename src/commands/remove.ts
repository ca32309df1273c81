import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: { name: "remove", description: "Remove an account from the pool" },
  args: {
    account: { type: "positional", description: "Account id or name" },
    "keep-credential": { type: "boolean", description: "Keep the account's stored login" },
    yes: { type: "boolean", alias: "y", description: "Do not ask for confirmation" },
  },
  run() {
    throw notImplemented("remove");
  },
});
