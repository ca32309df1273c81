import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: { name: "run", description: "Launch claude on the emptiest account, forwarding every argument" },
  args: {
    "claude-args": {
      type: "positional",
      description: "Arguments for claude, passed through unchanged",
      required: false,
    },
  },
  run() {
    throw notImplemented("run");
  },
});

export async function runLaunch(_claudeArgs: string[]): Promise<number> {
  throw notImplemented("run");
}
