import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "widget",
    description: "Show pool headroom in the menu bar (macOS) or the status bar (Linux)",
  },
  args: {
    uninstall: { type: "boolean", description: "Remove what `ccp widget` installed" },
  },
  run() {
    throw notImplemented("widget");
  },
});
