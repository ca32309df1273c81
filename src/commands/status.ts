import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "status",
    description: "Per-account usage, score and sessions: a live dashboard on a terminal, a table when piped",
  },
  args: {
    plain: { type: "boolean", description: "Print the plain table instead of the live dashboard" },
    watch: { type: "boolean", alias: "w", description: "Reprint the plain table continuously" },
    interval: {
      type: "string",
      description: "Refresh interval for --watch",
      valueHint: "duration",
      default: "5s",
    },
    live: { type: "boolean", description: "Sample usage live even when the daemon is running" },
    json: { type: "boolean", description: "Print the pool as JSON" },
  },
  run() {
    throw notImplemented("status");
  },
});
