import { parseCommandArgs } from "./command.ts";
import { closest } from "./command.ts";
import { COMMANDS, loadCommand } from "./commands/registry.ts";
import { env } from "./env.ts";
import { CcpError, EXIT_FAILURE, diskError, isCcpError } from "./errors.ts";
import { applyGlobalFlags } from "./ui/global-flags.ts";
import { log, useConsola } from "./ui/log.ts";
import { writeErr, writeOut } from "./ui/output.ts";
import { versionLine } from "./version.ts";
import { quoteArg, safeMessage } from "./ui/safe-text.ts";

const HELP_FLAGS = new Set(["-h", "--help"]);
/** Commands on the hot path keep the lean logger; every other one logs through consola. */
const HOT_COMMANDS = new Set(["select", "env", "status", "completion", "statusline"]);
const VERSION_FLAGS = new Set(["-v", "--version"]);

async function runClaudeArgs(args: string[]): Promise<number> {
  const { runLaunch } = await import("./commands/run.ts");
  return runLaunch(args);
}

/**
 * Dispatch. `run` and bare flags are routed before any parsing so claude's own arguments
 * (including --help after `run`) reach claude untouched.
 */
export async function main(argvIn: string[]): Promise<number> {
  const argv = hoistGlobalFlags(argvIn);
  const verbose = applyGlobalFlags(argv);
  try {
    const first = argv[0];
    if (first === undefined) return await runNamed("bare", []);
    if (HELP_FLAGS.has(first)) return await printHelp(argv[1]);
    if (VERSION_FLAGS.has(first)) {
      writeOut(`${versionLine()}\n`);
      return 0;
    }
    if (first === "run") return await runClaudeArgs(argv.slice(1));
    if (first.startsWith("-")) return await runClaudeArgs(argv);
    if (first === "help") {
      const topics = argv.slice(1).filter((a) => !GLOBAL_FLAGS.has(a));
      return await printHelp(topics[0], topics.length > 1 ? topics[1] : undefined);
    }
    return await runNamed(first, argv.slice(1));
  } catch (error) {
    return reportError(error, verbose);
  }
}

const GLOBAL_FLAGS = new Set(["--verbose", "--no-color"]);

/**
 * `ccp --no-color status --plain`: global flags in front of a ccp command name belong to ccp, so
 * they move behind the name. In front of anything else (`ccp --verbose -p x`) they stay where they
 * are and go to claude with the rest.
 */
export function hoistGlobalFlags(argv: string[]): string[] {
  let i = 0;
  while (i < argv.length && GLOBAL_FLAGS.has(argv[i] as string)) i++;
  if (i === 0 || i === argv.length) return argv;
  const name = argv[i] as string;
  if (name === "run" || name.startsWith("-") || !Object.hasOwn(COMMANDS, name)) return argv;
  return [name, ...argv.slice(0, i), ...argv.slice(i + 1)];
}

async function runNamed(name: string, rest: string[]): Promise<number> {
  // Validate the environment up front so a bad CCP_* value is reported the same way everywhere.
  env();
  if (!HOT_COMMANDS.has(name)) {
    await useConsola();
    log.debug(`${versionLine()}: ccp ${name}, CCP_HOME ${env().ccpHome}`);
  }
  if (name === "bare") {
    const { runBare } = await import("./commands/bare.ts");
    return runBare();
  }
  const cmd = await loadCommand(name);
  if (!cmd || name === "run") {
    const visible = Object.keys(COMMANDS).filter((n) => n !== "daemon");
    const guess = closest(name, visible);
    throw new CcpError(
      "usage",
      `Unknown command ${quoteArg(name)}.${guess ? ` Did you mean \`ccp ${guess}\`?` : ""}`,
      {
        hint: "Run `ccp help` to list the commands.",
      },
    );
  }
  if (rest.some((a) => HELP_FLAGS.has(a))) {
    const { renderCommandHelp } = await import("./ui/help.ts");
    writeOut(`${await renderCommandHelp(cmd)}\n`);
    return 0;
  }
  const args = parseCommandArgs(name, rest, cmd.args);
  return (await cmd.run({ args, rawArgs: rest })) ?? 0;
}

async function printHelp(topicIn: string | undefined, extraIn?: string): Promise<number> {
  // `ccp help --help` is help about help; `ccp help status --help` is the help of status.
  const topic = topicIn !== undefined && HELP_FLAGS.has(topicIn) ? (extraIn ?? "help") : topicIn;
  const extra = extraIn !== undefined && (HELP_FLAGS.has(extraIn) || topic === extraIn) ? undefined : extraIn;
  if (extra !== undefined)
    throw new CcpError("usage", `\`ccp help\` takes one command name (got ${quoteArg(extra)}).`);
  const help = await import("./ui/help.ts");
  if (topic === undefined) {
    writeOut(`${await help.renderTopHelp()}\n`);
    return 0;
  }
  const cmd = await loadCommand(topic);
  if (!cmd) {
    const guess = closest(topic, Object.keys(COMMANDS));
    throw new CcpError(
      "usage",
      `No help for ${quoteArg(topic)}: there is no such command.${guess ? ` Did you mean ${guess}?` : ""}`,
      {
        hint: "Run `ccp help` to list the commands.",
      },
    );
  }
  writeOut(`${await help.renderCommandHelp(cmd)}\n`);
  return 0;
}

function dbPathOrUndefined(): string | undefined {
  try {
    return env().dbPath;
  } catch {
    return undefined;
  }
}

/** Prints a thrown error for a person (a CcpError as itself) and returns the exit code. */
export function reportError(thrown: unknown, verbose: boolean): number {
  const debug = verbose || process.env.DEBUG === "1" || process.env.DEBUG === "true";
  const error = isCcpError(thrown) ? thrown : (diskError(thrown, dbPathOrUndefined()) ?? thrown);
  if (isCcpError(error)) {
    log.error(safeMessage(error.message), error.hint === undefined ? undefined : safeMessage(error.hint));
    if (debug && error.cause) writeErr(`${(error.cause as Error)?.stack ?? String(error.cause)}\n`);
    if (debug) writeErr(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  log.error(
    safeMessage(`Unexpected error: ${message}`),
    debug ? undefined : "Run again with --verbose for details.",
  );
  if (debug && error instanceof Error) writeErr(`${error.stack}\n`);
  return EXIT_FAILURE;
}
