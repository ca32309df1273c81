// Reading Claude Code's JSON files (bounded, never through a FIFO), and where an account's merge
// record lives: what a launch needs even when nothing changed. The merge itself (claude-json.ts) is
// loaded only when it has to run.
import { dirname, join } from "../fs/posix-path.ts";
import { CLAUDE_JSON_MAX_BYTES, parseJsonBounded, readRegularFileBounded } from "../fs/safe-path.ts";
import { lstatPath, isSymlink } from "../fs/probe.ts";

export type JsonObject = Record<string, unknown>;

export type JsonFileRead =
  | { state: "ok"; value: JsonObject }
  | { state: "missing" }
  | { state: "unparsable"; detail: string };

export const MERGE_STATE_FILE = ".cc-pool-merge.json";

export function mergeStatePath(accountJsonPath: string): string {
  return join(dirname(accountJsonPath), MERGE_STATE_FILE);
}

// A plain structural check instead of valibot keeps schema code off `ccp run`'s hot path; only
// "is it a JSON object" matters here, every value is carried over untouched.
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a JSON file whose top level must be an object; a read error other than ENOENT is
 * "unparsable". A FIFO or device is never opened, and size and nesting are bounded.
 */
export function readJsonObject(path: string): JsonFileRead {
  let text: string;
  try {
    const bytes = readRegularFileBounded(path, CLAUDE_JSON_MAX_BYTES);
    if (bytes === undefined) return { state: "missing" };
    text = bytes.toString("utf8");
  } catch (cause) {
    return { state: "unparsable", detail: (cause as Error).message };
  }
  try {
    const value = parseJsonBounded(text, { source: path });
    if (!isJsonObject(value)) return { state: "unparsable", detail: "the top level is not a JSON object" };
    return { state: "ok", value };
  } catch (cause) {
    return { state: "unparsable", detail: (cause as { detail?: string }).detail ?? (cause as Error).message };
  }
}

/**
 * An account's own `.claude.json`: like `readJsonObject`, but a symlink is refused (Claude Code
 * replaces the file by rename, so a link there was planted, and could lead to `~/.claude.json`
 * and its identity).
 */
export function readAccountJsonObject(path: string): JsonFileRead {
  const facts = lstatPath(path);
  if (facts !== undefined && isSymlink(facts)) {
    return { state: "unparsable", detail: `${path} is a symbolic link; cc-pool does not follow it` };
  }
  return readJsonObject(path);
}
