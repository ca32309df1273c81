import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "doctor",
    description: "Check accounts, credentials, overlays, the alias and the daemon; repair drift",
  },
  args: {
    fix: { type: "boolean", description: "Repair what can be repaired safely" },
    json: { type: "boolean", description: "Print the findings as JSON" },
  },
  run() {
    throw notImplemented("doctor");
  },
});
