// What the completion scripts know, read from the command definitions themselves: a flag added to a
// command's `args` shows up in every shell's completion without touching this folder.
import { type ArgsDef, type CcpCommand, GLOBAL_ARGS } from "../command.ts";
import { COMMANDS, loadCommand } from "../commands/registry.ts";

/** Where the candidates for a value come from. */
export type ValueSource =
  | { kind: "none" }
  | { kind: "choices"; choices: string[] }
  | { kind: "accounts" }
  | { kind: "commands" }
  | { kind: "files" };

export interface FlagSpec {
  /** Long name without the dashes. */
  name: string;
  /** One-letter aliases (`-y`). */
  short: string[];
  /** Longer aliases (`--something`). */
  long: string[];
  description: string;
  takesValue: boolean;
  valueHint: string | undefined;
  values: ValueSource;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required: boolean;
  values: ValueSource;
}

export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  positionals: PositionalSpec[];
  /** Every argument goes to another program (`run` forwards to claude): complete files, no flags. */
  passthrough: boolean;
}

export interface CompletionSpec {
  commands: CommandSpec[];
  /** Flags of bare `ccp` that the dispatcher answers itself. */
  topFlags: FlagSpec[];
}

type ArgDef = ArgsDef[string];

const NO_VALUES: ValueSource = { kind: "none" };
// A positional described exactly as `a | b | c` takes one of those words (`service`'s action).
const CHOICE_LIST = /^[a-z][\w-]*(?: \| [a-z][\w-]*)+$/;

function isHidden(def: ArgDef): boolean {
  return "hidden" in def && (def as { hidden?: unknown }).hidden === true;
}

function aliasesOf(def: ArgDef): string[] {
  if (!("alias" in def) || def.alias === undefined) return [];
  return Array.isArray(def.alias) ? def.alias : [def.alias];
}

function valuesFor(key: string, def: ArgDef): ValueSource {
  if (key === "account") return { kind: "accounts" };
  // citty types `options` for enums only; a positional may carry them too.
  const options = (def as { options?: unknown }).options;
  if (Array.isArray(options) && options.every((o) => typeof o === "string")) {
    return { kind: "choices", choices: options };
  }
  if (def.type === "positional") {
    if (key === "command") return { kind: "commands" };
    const description = def.description ?? "";
    if (CHOICE_LIST.test(description)) return { kind: "choices", choices: description.split(" | ") };
  }
  return NO_VALUES;
}

function plainFlag(name: string, short: string, description: string): FlagSpec {
  return {
    name,
    short: [short],
    long: [],
    description,
    takesValue: false,
    valueHint: undefined,
    values: NO_VALUES,
  };
}

const TOP_FLAGS: FlagSpec[] = [
  plainFlag("help", "h", "Show help"),
  plainFlag("version", "v", "Print the version"),
];

/** The completion view of one command: its own args plus the global ones, hidden ones left out. */
export function describeCommand(cmd: CcpCommand): CommandSpec {
  const passthrough = cmd.meta.name === "run";
  const flags: FlagSpec[] = [];
  const positionals: PositionalSpec[] = [];
  const all: ArgsDef = passthrough ? {} : { ...cmd.args, ...GLOBAL_ARGS };
  for (const [key, def] of Object.entries(all)) {
    if (isHidden(def)) continue;
    if (def.type === "positional") {
      const values = valuesFor(key, def);
      positionals.push({
        name: key,
        // A description that only lists the choices would repeat them next to each candidate.
        description: values.kind === "choices" ? key : (def.description ?? key),
        required: def.required !== false && def.default === undefined,
        values,
      });
      continue;
    }
    const aliases = aliasesOf(def);
    flags.push({
      name: key,
      short: aliases.filter((a) => a.length === 1),
      long: aliases.filter((a) => a.length > 1),
      description: def.description ?? key,
      takesValue: def.type === "string" || def.type === "enum",
      valueHint: def.valueHint,
      values: valuesFor(key, def),
    });
  }
  if (passthrough) {
    positionals.push({
      name: "args",
      description: "Arguments for claude",
      required: false,
      values: { kind: "files" },
    });
  } else {
    flags.push(plainFlag("help", "h", "Show help for this command"));
  }
  return { name: cmd.meta.name, description: cmd.meta.description, flags, positionals, passthrough };
}

/** Every visible command of the registry, in `ccp help` order. */
export async function loadCompletionSpec(): Promise<CompletionSpec> {
  const commands: CommandSpec[] = [];
  for (const name of Object.keys(COMMANDS)) {
    const cmd = await loadCommand(name);
    if (!cmd || cmd.meta.hidden) continue;
    commands.push(describeCommand(cmd));
  }
  return { commands, topFlags: TOP_FLAGS };
}

/** Every spelling of a flag: `--name`, `--long-alias`, `-s`. */
export function flagSpellings(flag: FlagSpec): string[] {
  return [`--${flag.name}`, ...flag.long.map((l) => `--${l}`), ...flag.short.map((s) => `-${s}`)];
}
