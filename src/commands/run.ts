import { defineCommand } from "../command.ts";
import { env } from "../env.ts";

export default defineCommand({
  meta: { name: "run", description: "Launch claude on the emptiest account, forwarding every argument" },
  args: {
    "claude-args": {
      type: "positional",
      description: "Arguments for claude, passed through unchanged",
      required: false,
    },
  },
  // Never reached: main.ts routes `run` to runLaunch before any parsing, so claude's flags stay intact.
  run() {
    return 0;
  },
});

export async function runLaunch(claudeArgs: string[]): Promise<number> {
  const { launch } = await import("../app/launch.ts");
  return launch(env(), { claudeArgs, cwd: process.cwd() });
}
