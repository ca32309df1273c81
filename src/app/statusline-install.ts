// `ccp statusline install|uninstall`: the one place cc-pool writes `~/.claude/settings.json`, and
// only when the user asks. Install sets `statusLine` to `ccp statusline -- '<their command>'`, so
// their status line keeps working (its output comes first), and remembers their original setting
// in $CCP_HOME; uninstall puts the original back byte for byte (as JSON) or removes the key.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { writeFileAtomic } from "../overlay/atomic-write.ts";
import { ensurePrivateDir } from "../store/db.ts";
import { shellQuote } from "../widget/scripts.ts";

const BACKUP_FILE = "statusline-original.json";

export interface StatuslinePaths {
  settings: string;
  backup: string;
}

export function statuslinePaths(env: Env): StatuslinePaths {
  return { settings: join(env.claudeDir, "settings.json"), backup: join(env.ccpHome, BACKUP_FILE) };
}

type Json = Record<string, unknown>;

interface Backup {
  /** The user's statusLine before install; null when they had none. */
  original: unknown;
  /** What install wrote, to recognise it later. */
  installed: string;
}

/** A `statusLine.command` that runs cc-pool's status line. */
export function isOurCommand(command: unknown): boolean {
  return (
    typeof command === "string" &&
    /(?:^|[/'"\s])(?:ccp|cc-pool|cli\.ts)['"]?\s+statusline(?:\s+--\s|\s*$)/.test(command)
  );
}

/** The command line to put in settings: our status line, wrapping theirs when there is one. */
export function wrappingCommand(ccpCommand: readonly string[], original: unknown): string {
  const ours = `${ccpCommand.map(shellQuote).join(" ")} statusline`;
  const theirs = (original as Json | undefined)?.command;
  return typeof theirs === "string" && theirs.trim() !== "" ? `${ours} -- ${shellQuote(theirs)}` : ours;
}

function readSettings(path: string): { json: Json; mode: number; target: string } {
  if (!existsSync(path)) return { json: {}, mode: 0o644, target: path };
  // A settings.json kept elsewhere (a dotfiles link) is edited where it really lives.
  const target = realpathSync(path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(target, "utf8"));
  } catch (cause) {
    throw new CcpError("conflict", `${path} is not valid JSON, so cc-pool did not change it.`, {
      hint: "Fix the file (Claude Code cannot read it either) and run the command again.",
      cause,
    });
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new CcpError("conflict", `${path} does not hold a JSON object, so cc-pool did not change it.`, {
      hint: "Fix the file and run the command again.",
    });
  }
  return { json: json as Json, mode: statSync(target).mode & 0o777, target };
}

function writeJson(path: string, json: Json, mode: number): void {
  writeFileAtomic(path, `${JSON.stringify(json, null, 2)}\n`, mode);
}

function readBackup(path: string): Backup | undefined {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Partial<Backup>;
    return typeof v.installed === "string"
      ? { original: v.original ?? null, installed: v.installed }
      : undefined;
  } catch {
    return undefined;
  }
}

/** `ccp statusline -- 'theirs'` → `theirs` (for a lost backup file). */
export function wrappedFrom(command: string): string | undefined {
  const m = /\sstatusline\s+--\s+(.*)$/s.exec(command);
  if (!m) return undefined;
  const rest = (m[1] as string).trim();
  if (!rest.startsWith("'")) return rest;
  // Undo shellQuote: '...' pieces joined by \'
  return rest
    .split(`'\\''`)
    .map((piece, i, all) => piece.slice(i === 0 ? 1 : 0, i === all.length - 1 ? -1 : undefined))
    .join("'");
}

export type InstallResult =
  | { kind: "installed"; settings: string; command: string; wrapped: string | null }
  | { kind: "already"; settings: string; command: string };

export function installStatusline(env: Env, ccpCommand: readonly string[]): InstallResult {
  const paths = statuslinePaths(env);
  const { json, mode, target } = readSettings(paths.settings);
  const current = json.statusLine as Json | undefined;
  if (isOurCommand(current?.command))
    return { kind: "already", settings: paths.settings, command: String(current?.command) };
  const command = wrappingCommand(ccpCommand, current);
  ensurePrivateDir(env.ccpHome);
  // The original is saved before settings change, so an interrupted install can still be undone.
  writeJson(paths.backup, { original: current ?? null, installed: command }, 0o600);
  const next: Json = { type: "command", command };
  if (current && typeof current.padding === "number") next.padding = current.padding;
  if (!existsSync(env.claudeDir)) mkdirSync(env.claudeDir, { recursive: true, mode: 0o700 });
  writeJson(target, { ...json, statusLine: next }, mode);
  const wrapped = (current as Json | undefined)?.command;
  return {
    kind: "installed",
    settings: paths.settings,
    command,
    wrapped: typeof wrapped === "string" && wrapped.trim() !== "" ? wrapped : null,
  };
}

export type UninstallResult =
  | { kind: "restored"; settings: string; original: string | null }
  | { kind: "not-installed"; settings: string; current: string | null };

export function uninstallStatusline(env: Env): UninstallResult {
  const paths = statuslinePaths(env);
  if (!existsSync(paths.settings)) {
    rmSync(paths.backup, { force: true });
    return { kind: "not-installed", settings: paths.settings, current: null };
  }
  const { json, mode, target } = readSettings(paths.settings);
  const current = json.statusLine as Json | undefined;
  if (!isOurCommand(current?.command)) {
    const command = typeof current?.command === "string" ? current.command : null;
    return { kind: "not-installed", settings: paths.settings, current: command };
  }
  const backup = readBackup(paths.backup);
  let original: unknown = backup?.original ?? null;
  if (!backup) {
    const theirs = wrappedFrom(String(current?.command));
    original = theirs ? { type: "command", command: theirs } : null;
  }
  const next: Json = { ...json };
  if (original === null) delete next.statusLine;
  else next.statusLine = original;
  writeJson(target, next, mode);
  rmSync(paths.backup, { force: true });
  const cmd = (original as Json | null)?.command;
  return { kind: "restored", settings: paths.settings, original: typeof cmd === "string" ? cmd : null };
}
