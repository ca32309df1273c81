// Command definitions use citty's shapes (so citty renders their help), but are parsed by our own
// strict parser: citty silently accepts unknown flags, and cc-pool must reject them with exit 2.
import type { ArgsDef, CommandDef, CommandMeta, ParsedArgs } from "citty";
import { usageError } from "./errors.ts";
import { quoteArg } from "./ui/safe-text.ts";

export type { ArgsDef, ParsedArgs };

export interface CcpCommandContext<T extends ArgsDef> {
  args: ParsedArgs<T>;
  rawArgs: string[];
}

export interface CcpCommand<T extends ArgsDef = ArgsDef> {
  meta: CommandMeta & { name: string; description: string };
  args: T;
  /** Returns the exit code (0 when nothing is returned). */
  run(ctx: CcpCommandContext<T>): Promise<number | undefined> | number | undefined;
}

export function defineCommand<const T extends ArgsDef>(def: CcpCommand<T>): CcpCommand<T> {
  return def;
}

/** Accepted by every command. */
export const GLOBAL_ARGS = {
  verbose: { type: "boolean", description: "Show stack traces and debug detail on errors" },
  "no-color": { type: "boolean", description: "Never use colour" },
} as const satisfies ArgsDef;

/** Help shows every arg except those marked `hidden` (internal flags used by scripts). */
export function toCittyDef(cmd: CcpCommand): CommandDef {
  const visible = Object.entries(cmd.args).filter(([, def]) => !(def as { hidden?: boolean }).hidden);
  return { meta: cmd.meta, args: { ...Object.fromEntries(visible), ...GLOBAL_ARGS } };
}

function aliases(def: ArgsDef[string]): string[] {
  if (!("alias" in def) || def.alias === undefined) return [];
  return Array.isArray(def.alias) ? def.alias : [def.alias];
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

function didYouMean(word: string, candidates: Iterable<string>): string {
  const guess = closest(word, candidates);
  return guess ? ` Did you mean ${guess}?` : "";
}

/**
 * Parses argv strictly against `defs` plus the global flags: unknown flags, missing values,
 * extra positionals and bad enum values are usage errors (exit 2).
 */
export function parseCommandArgs<T extends ArgsDef>(name: string, argv: string[], defs: T): ParsedArgs<T> {
  const entries = Object.entries({ ...defs, ...GLOBAL_ARGS } as ArgsDef);
  const out: Record<string, unknown> = { _: [] as string[] };
  for (const [key, def] of entries) if (def.default !== undefined) out[key] = def.default;
  // The flag table is made when a flag shows up: a bare `ccp select` does not pay for it.
  let table: Map<string, { key: string; def: ArgsDef[string] }> | undefined;
  const byFlag = (): Map<string, { key: string; def: ArgsDef[string] }> => {
    if (table !== undefined) return table;
    table = new Map();
    for (const [key, def] of entries) {
      if (def.type === "positional") continue;
      table.set(`--${key}`, { key, def });
      for (const alias of aliases(def))
        table.set(alias.length === 1 ? `-${alias}` : `--${alias}`, { key, def });
    }
    return table;
  };
  const rest: string[] = [];
  const help = `Run \`ccp help ${name}\` to see its options.`;

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      rest.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const flag = token.startsWith("--") && eq > 0 ? token.slice(0, eq) : token;
    const inline = token.startsWith("--") && eq > 0 ? token.slice(eq + 1) : undefined;
    let match = byFlag().get(flag);
    let negated = false;
    if (!match && flag.startsWith("--no-")) {
      const positive = byFlag().get(`--${flag.slice(5)}`);
      if (positive?.def.type === "boolean") {
        match = positive;
        negated = true;
      }
    }
    if (!match) {
      throw usageError(
        `Unknown option ${quoteArg(flag)} for \`ccp ${name}\`.${didYouMean(flag, byFlag().keys())}`,
        help,
      );
    }
    const { key, def } = match;
    if (def.type === "boolean") {
      if (inline !== undefined) {
        if (inline !== "true" && inline !== "false") {
          throw usageError(`Option ${flag} takes no value (got ${quoteArg(inline)}).`, help);
        }
        out[key] = negated ? inline === "false" : inline === "true";
      } else {
        out[key] = !negated;
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d/.test(next))) {
        throw usageError(`Option ${flag} needs a value${def.valueHint ? ` (${def.valueHint})` : ""}.`, help);
      }
      value = next;
      i++;
    }
    if (def.type === "enum" && def.options && !def.options.includes(value)) {
      throw usageError(
        `Invalid value ${quoteArg(value)} for ${flag}: expected one of ${def.options.join(", ")}.`,
        help,
      );
    }
    out[key] = value;
  }

  for (const [key, def] of entries) {
    if (def.type !== "positional") continue;
    const value = rest.shift();
    if (value !== undefined) out[key] = value;
    else if (def.required !== false && def.default === undefined) {
      throw usageError(`Missing argument <${key}> for \`ccp ${name}\`.`, help);
    }
  }
  if (rest.length > 0) {
    throw usageError(`Unexpected argument ${quoteArg(rest[0] as string)} for \`ccp ${name}\`.`, help);
  }
  return out as ParsedArgs<T>;
}
