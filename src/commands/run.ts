import { defineCommand } from "../command.ts";
import { env } from "../env.ts";
import { applyGlobalFlags } from "../ui/global-flags.ts";

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

/**
 * `ccp run …` (argv[0] is "run") as cli.ts routes it, past main.ts: the global flags applied as
 * main.ts applies them, then the launch; an error is reported by main.ts's own reporter.
 */
export async function runFromCli(argv: string[]): Promise<number> {
  const verbose = applyGlobalFlags(argv);
  try {
    return await runLaunch(argv.slice(1));
  } catch (error) {
    const { reportError } = await import("../main.ts");
    return reportError(error, verbose);
  }
}

export async function runLaunch(claudeArgs: string[]): Promise<number> {
  const { launch } = await import("../app/launch.ts");
  return launch(env(), { claudeArgs, cwd: process.cwd() });
}

/** Claude Code subcommands that manage the installation or a login: never pooled, run as typed. */
const UNPOOLED_SUBCOMMANDS = new Set([
  "auth",
  "setup-token",
  "update",
  "upgrade",
  "install",
  "migrate-installer",
]);
const UNPOOLED_FLAGS = new Set(["--version", "-v", "--help", "-h"]);

/**
 * cc-pool started under the name `claude`: every argument is claude's. Management subcommands go
 * to the real claude unchanged (a login belongs to the dir the user meant, not to a pool account).
 */
export async function runAsClaude(claudeArgs: string[]): Promise<number> {
  const first = claudeArgs[0];
  // `claude --version` / `--help` (IDE extensions ask at start-up) need no account.
  const infoOnly = claudeArgs.length === 1 && first !== undefined && UNPOOLED_FLAGS.has(first);
  if (first !== undefined && (UNPOOLED_SUBCOMMANDS.has(first) || infoOnly)) {
    const { findClaude } = await import("../app/claude-bin.ts");
    const { spawnAndWait } = await import("../app/launch.ts");
    const e = env();
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.raw)) if (v !== undefined) childEnv[k] = v;
    try {
      return await spawnAndWait(findClaude(e), claudeArgs, childEnv, process.cwd());
    } catch (error) {
      const { isCcpError } = await import("../errors.ts");
      const { log } = await import("../ui/log.ts");
      if (isCcpError(error)) {
        log.error(error.message, error.hint);
        return error.exitCode;
      }
      // SpawnError: the real claude could not be started.
      log.error((error as Error).message, "Check CCP_CLAUDE_BIN or your PATH.");
      return 127;
    }
  }
  return runFromCli(["run", ...claudeArgs]);
}
