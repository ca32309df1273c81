import { defineCommand } from "../command.ts";
import { parseDurationMs } from "../duration.ts";
import { usageError } from "../errors.ts";
import { runSelect } from "./select-run.ts";

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
  async run({ args }) {
    const freshMs = parseDurationMs(args.fresh ?? "60s");
    if (freshMs === undefined) {
      throw usageError(`--fresh takes a duration such as 30s, 2m or 1h (got "${args.fresh}").`);
    }
    if (args.account !== undefined && args.account.trim() === "")
      throw usageError("--account needs an account id or name.");
    return runSelect({
      wait: Boolean(args.wait),
      account: args.account,
      noDaemon: Boolean(args["no-daemon"]),
      freshMs,
      json: Boolean(args.json),
      explain: Boolean(args.explain),
    });
  },
});
