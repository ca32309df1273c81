import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "select",
    description: "Print the chosen account's config dir on stdout: the composable hot path",
  },
  args: {
    wait: {
      type: "boolean",
      description: "Wait for an account with headroom instead of using an exhausted one",
    },
    account: { type: "string", description: "Force an account (id or name)", valueHint: "id" },
    "no-daemon": { type: "boolean", description: "Do not use the daemon; sample usage live" },
    fresh: {
      type: "string",
      description: "Reuse cached usage newer than this",
      valueHint: "duration",
      default: "60s",
    },
    json: { type: "boolean", description: "Print the decision as JSON" },
    explain: { type: "boolean", description: "Print every account's score, term by term, on stderr" },
  },
  run() {
    throw notImplemented("select");
  },
});
