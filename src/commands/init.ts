import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: { name: "init", description: "Set up the pool and start the daemon (optional: `ccp add` does this)" },
  args: {
    "no-service": { type: "boolean", description: "Do not start the daemon now" },
  },
  run() {
    throw notImplemented("init");
  },
});
