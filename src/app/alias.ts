import { lstatSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CcpError } from "../errors.ts";
import { readRegularFileBounded } from "../fs/safe-path.ts";
import { writeFileAtomic } from "../overlay/atomic-write.ts";

export type AliasShell = "zsh" | "bash" | "fish";

export interface AliasOptions {
  home: string;
  /** `$SHELL` as the user has it (a path such as `/bin/zsh`), or undefined. */
  shell: string | undefined;
  /** Decides bash's rc file; defaults to the running platform. */
  platform?: NodeJS.Platform;
}

export type AliasResult =
  | { kind: "added"; rcFile: string }
  | { kind: "present"; rcFile: string }
  | { kind: "conflict"; rcFile: string; detail: string }
  | { kind: "unsupported-shell"; shell: string | undefined };

export type AliasStatus =
  | { kind: "present"; rcFile: string }
  | { kind: "absent"; rcFile: string }
  | { kind: "conflict"; rcFile: string; detail: string }
  | { kind: "unsupported-shell"; shell: string | undefined };

export type AliasRemoval =
  | { kind: "removed"; rcFile: string }
  | { kind: "absent"; rcFile: string }
  | { kind: "unsupported-shell"; shell: string | undefined };

export const ALIAS_BEGIN_MARKER = "# >>> cc-pool: claude runs on the pool (`command claude` bypasses it) >>>";
export const ALIAS_END_MARKER = "# <<< cc-pool <<<";
const NEW_RC_FILE_MODE = 0o644;

export function aliasLine(shell: AliasShell): string {
  return shell === "fish" ? "alias claude 'ccp run'" : "alias claude='ccp run'";
}

export function detectShell(shell: string | undefined): AliasShell | undefined {
  if (shell === undefined) return undefined;
  const name = basename(shell.trim());
  return name === "zsh" || name === "bash" || name === "fish" ? name : undefined;
}

/**
 * The rc file the alias goes into. macOS terminals start bash as a login shell, which reads
 * `~/.bash_profile`; Linux terminals start interactive non-login shells, which read `~/.bashrc`.
 */
export function rcFileFor(
  shell: AliasShell,
  home: string,
  platform: NodeJS.Platform = process.platform,
): string {
  if (shell === "zsh") return join(home, ".zshrc");
  if (shell === "fish") return join(home, ".config", "fish", "config.fish");
  return join(home, platform === "darwin" ? ".bash_profile" : ".bashrc");
}

// Any shell's spelling: `alias claude=…` (sh), `alias claude '…'` (fish), `claude() {`, `function claude`.
const CLAUDE_DEFINITIONS: readonly RegExp[] = [
  /(^|[\s;&|(])alias\s+(-\S+\s+)*claude(=|\s|$)/,
  /(^|[\s;&|(])claude\s*\(\s*\)/,
  /(^|[\s;&|(])function\s+claude(\s|\(|\{|$)/,
];

/** The first line outside our block that already defines `claude`, if any. */
function findOtherDefinition(content: string): string | undefined {
  let inBlock = false;
  for (const line of content.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === ALIAS_BEGIN_MARKER) inBlock = true;
    else if (trimmed === ALIAS_END_MARKER) inBlock = false;
    else if (!inBlock && !trimmed.startsWith("#") && CLAUDE_DEFINITIONS.some((re) => re.test(trimmed))) {
      return trimmed;
    }
  }
  return undefined;
}

function hasOurBlock(content: string): boolean {
  return content.split("\n").some((line) => line.trim() === ALIAS_BEGIN_MARKER);
}

const RC_FILE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The rc file as latin1 text: one char per byte, so bytes that are not valid UTF-8 survive the
 * edit exactly (the markers and the alias are ASCII, the same in either reading).
 */
function readRcFile(rcFile: string): string | undefined {
  try {
    return readRegularFileBounded(rcFile, RC_FILE_MAX_BYTES)?.toString("latin1");
  } catch (cause) {
    throw rcError(rcFile, "read", cause);
  }
}

function rcError(rcFile: string, verb: string, cause: unknown): CcpError {
  return new CcpError("failure", `Cannot ${verb} ${rcFile}: ${(cause as Error).message}.`, {
    hint: "Add `alias claude='ccp run'` to your shell's rc file yourself, or skip it with `--no-alias`.",
    cause,
  });
}

/**
 * Rewrites an rc file atomically. A dotfiles manager often symlinks the rc file into a repo: the
 * write goes to the real file so the link survives, and the file keeps its mode.
 */
function writeRcFile(rcFile: string, content: string): void {
  try {
    if (lstatSync(rcFile, { throwIfNoEntry: false }) === undefined) {
      mkdirSync(dirname(rcFile), { recursive: true });
      writeFileAtomic(rcFile, Buffer.from(content, "latin1"), NEW_RC_FILE_MODE);
      return;
    }
    // A dangling link fails here, which is better than replacing it with a file.
    const real = realpathSync(rcFile);
    writeFileAtomic(real, Buffer.from(content, "latin1"), statSync(real).mode & 0o7777);
  } catch (cause) {
    throw rcError(rcFile, "write", cause);
  }
}

/** Where the alias stands in the user's rc file, for `ccp doctor`. Reads only. */
export function detectAlias(opts: AliasOptions): AliasStatus {
  const shell = detectShell(opts.shell);
  if (shell === undefined) return { kind: "unsupported-shell", shell: opts.shell };
  const rcFile = rcFileFor(shell, opts.home, opts.platform);
  const content = readRcFile(rcFile) ?? "";
  if (hasOurBlock(content)) return { kind: "present", rcFile };
  const other = findOtherDefinition(content);
  if (other !== undefined) return { kind: "conflict", rcFile, detail: other };
  return { kind: "absent", rcFile };
}

/**
 * Appends `alias claude='ccp run'` under cc-pool's marker to the rc file of the user's shell.
 * Idempotent; leaves the file alone when it already defines `claude` in some other way.
 */
export function installAlias(opts: AliasOptions): AliasResult {
  const shell = detectShell(opts.shell);
  if (shell === undefined) return { kind: "unsupported-shell", shell: opts.shell };
  const rcFile = rcFileFor(shell, opts.home, opts.platform);
  const content = readRcFile(rcFile);
  if (content !== undefined && hasOurBlock(content)) return { kind: "present", rcFile };
  const other = content === undefined ? undefined : findOtherDefinition(content);
  if (other !== undefined) return { kind: "conflict", rcFile, detail: other };

  const block = `${ALIAS_BEGIN_MARKER}\n${aliasLine(shell)}\n${ALIAS_END_MARKER}\n`;
  let prefix = content ?? "";
  if (prefix !== "") prefix += prefix.endsWith("\n") ? "\n" : "\n\n";
  writeRcFile(rcFile, prefix + block);
  return { kind: "added", rcFile };
}

/** Removes cc-pool's marked block (and the blank line put before it); nothing else in the file. */
export function removeAlias(opts: AliasOptions): AliasRemoval {
  const shell = detectShell(opts.shell);
  if (shell === undefined) return { kind: "unsupported-shell", shell: opts.shell };
  const rcFile = rcFileFor(shell, opts.home, opts.platform);
  const content = readRcFile(rcFile);
  if (content === undefined || !hasOurBlock(content)) return { kind: "absent", rcFile };

  const lines = content.split("\n");
  const kept: string[] = [];
  let inBlock = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (!inBlock && trimmed === ALIAS_BEGIN_MARKER) {
      inBlock = true;
      if (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
      continue;
    }
    if (inBlock) {
      // Without an end marker (edited by hand) only our own alias line goes with the marker.
      if (trimmed === ALIAS_END_MARKER) inBlock = false;
      else if (trimmed !== aliasLine(shell)) {
        inBlock = false;
        kept.push(line);
      }
      continue;
    }
    kept.push(line);
  }
  let next = kept.join("\n");
  if (content.endsWith("\n") && next !== "" && !next.endsWith("\n")) next += "\n";
  writeRcFile(rcFile, next);
  return { kind: "removed", rcFile };
}
