import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: { name: "service", description: "Manage the background daemon: install, uninstall, status" },
  args: {
    action: { type: "positional", description: "install | uninstall | status" },
    force: { type: "boolean", description: "uninstall: skip the live-session check" },
    purge: {
      type: "boolean",
      description: "uninstall: also remove every pool account and all state (never ~/.claude)",
    },
    json: { type: "boolean", description: "status: print as JSON" },
  },
  run() {
    throw notImplemented("service");
  },
});
