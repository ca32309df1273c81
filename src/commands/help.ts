import { defineCommand } from "../command.ts";

export default defineCommand({
  meta: { name: "help", description: "Show help for cc-pool or one command" },
  args: {
    command: { type: "positional", description: "Command name", required: false },
  },
  run() {
    // `ccp help` is answered by the dispatcher in main.ts; this entry exists for the listing.
    return 0;
  },
});
