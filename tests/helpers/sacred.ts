// Guarantee 1 in test form: `~/.claude` and `~/.claude.json` are byte-identical after every
// cc-pool operation. `makeBase` builds a realistic base to run operations against.
import { expect } from "bun:test";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const listings = new Map<string, string[]>();

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** One line per entry: path, type, mode, and content hash + mtime (files) or target (links). */
function describeEntry(path: string, rel: string, lines: string[]): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) {
    lines.push(`${rel} absent`);
    return;
  }
  const mode = (st.mode & 0o7777).toString(8);
  if (st.isSymbolicLink()) {
    lines.push(`${rel} link ${mode} -> ${readlinkSync(path)}`);
  } else if (st.isFile()) {
    // mtime catches a rewrite with identical bytes, which is still a write to the base.
    lines.push(`${rel} file ${mode} ${sha256(readFileSync(path))} mtime=${st.mtimeMs}`);
  } else if (st.isDirectory()) {
    lines.push(`${rel} dir ${mode}`);
    for (const name of readdirSync(path).sort()) describeEntry(join(path, name), `${rel}/${name}`, lines);
  } else {
    lines.push(`${rel} other ${mode}`);
  }
}

export function describeSacred(home: string): string[] {
  const lines: string[] = [];
  describeEntry(join(home, ".claude"), "~/.claude", lines);
  describeEntry(join(home, ".claude.json"), "~/.claude.json", lines);
  return lines;
}

/** A digest of the whole base: every path, mode, file content and symlink target. Never follows links. */
export function snapshotSacred(home: string): string {
  const lines = describeSacred(home);
  const digest = sha256(lines.join("\n"));
  listings.set(digest, lines);
  return digest;
}

/** Fails with the lines that differ when the base changed since `before` was taken. */
export function expectSacredUnchanged(home: string, before: string): void {
  const after = snapshotSacred(home);
  if (after === before) return;
  const was = new Set(listings.get(before) ?? []);
  const now = new Set(listings.get(after) ?? []);
  const diff = [
    ...[...was].filter((line) => !now.has(line)).map((line) => `- ${line}`),
    ...[...now].filter((line) => !was.has(line)).map((line) => `+ ${line}`),
  ];
  expect(diff.join("\n")).toBe("(the base must not change)");
}

/** A fresh, empty home dir under the per-process test root (never the real home). */
export function makeTempHome(): string {
  const root = process.env.CCP_TEST_ROOT ?? tmpdir();
  return mkdtempSync(join(root, "home-"));
}

export interface MakeBaseOptions {
  /** Create `~/.claude/plans/` (default true). */
  plans?: boolean;
  /**
   * Create the other shared dirs a session makes (`sessions/`, `session-env/`, `shell-snapshots/`,
   * `file-history/`), as Claude Code 2.1.x leaves them in a used `~/.claude` (default true).
   */
  sessionDirs?: boolean;
  /** Create `~/.claude` at all (default true). */
  dir?: boolean;
  /** `~/.claude.json`: the realistic default, a replacement object, raw text, or false for none. */
  claudeJson?: boolean | Record<string, unknown> | string;
}

export interface Base {
  home: string;
  baseDir: string;
  baseJsonPath: string;
  /** What was written to `~/.claude.json`, when it was an object. */
  claudeJson: Record<string, unknown> | undefined;
}

export const BASE_PROJECT = "/Users/me/code/app";

/** The realistic `~/.claude.json` of a logged-in user with history, MCP servers and approvals. */
export function realisticClaudeJson(): Record<string, unknown> {
  return {
    numStartups: 42,
    installMethod: "native",
    autoUpdates: false,
    theme: "dark",
    verbose: true,
    editorMode: "vim",
    firstStartTime: "2025-01-10T09:00:00.000Z",
    userID: "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f",
    anonymousId: "claudecode.v1.00000000-0000-4000-8000-000000000001",
    machineID: "machine-1",
    hasCompletedOnboarding: true,
    lastOnboardingVersion: "2.1.0",
    tipsHistory: { "new-user-warmup": 1, "plan-mode": 7 },
    mcpServers: {
      github: { type: "stdio", command: "github-mcp", args: ["--read-only"], env: {} },
    },
    oauthAccount: {
      accountUuid: "11111111-2222-4333-8444-555555555555",
      emailAddress: "me@example.com",
      organizationUuid: "99999999-8888-4777-8666-555555555555",
      organizationName: "me@example.com's Organization",
      displayName: "Me",
    },
    pluginUsage: { "review@official": { count: 12, lastUsedAt: 1_750_000_000_000 } },
    projects: {
      [BASE_PROJECT]: {
        allowedTools: ["Bash(git status)", "Edit"],
        hasTrustDialogAccepted: true,
        hasClaudeMdExternalIncludesApproved: true,
        hasClaudeMdExternalIncludesWarningShown: true,
        mcpServers: { local: { type: "stdio", command: "./mcp.sh" } },
        enabledMcpjsonServers: ["db"],
        disabledMcpjsonServers: ["slow"],
        lastCost: 1.25,
        lastSessionId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
      },
      "/Users/me/code/lib": { allowedTools: [], hasTrustDialogAccepted: false, lastCost: 0 },
    },
  };
}

function write(path: string, content: string, mode = 0o644): void {
  writeFileSync(path, content, { mode });
}

/**
 * Builds `~/.claude` the way a long-time Claude Code user has it (settings, transcripts, skills,
 * plugins, history, Finder litter, private entries) plus `~/.claude.json` beside it.
 */
export function makeBase(home: string, opts: MakeBaseOptions = {}): Base {
  const baseDir = join(home, ".claude");
  const baseJsonPath = join(home, ".claude.json");
  if (opts.dir !== false) {
    mkdirSync(baseDir, { recursive: true, mode: 0o700 });
    write(
      join(baseDir, "settings.json"),
      JSON.stringify({ model: "opus", permissions: { allow: ["Read"] } }, null, 2),
    );
    write(join(baseDir, "CLAUDE.md"), "# Global instructions\nBe brief.\n");
    write(join(baseDir, "history.jsonl"), '{"display":"hello","project":"/Users/me/code/app"}\n');
    mkdirSync(join(baseDir, "projects", "-Users-me-code-app"), { recursive: true });
    write(join(baseDir, "projects", "-Users-me-code-app", "aaaaaaaa.jsonl"), '{"type":"user"}\n', 0o600);
    mkdirSync(join(baseDir, "skills", "review"), { recursive: true });
    write(join(baseDir, "skills", "review", "SKILL.md"), "---\nname: review\n---\nReview the diff.\n");
    mkdirSync(join(baseDir, "plugins", "marketplaces"), { recursive: true });
    write(join(baseDir, "plugins", "installed_plugins.json"), '{"version":2,"plugins":{}}');
    mkdirSync(join(baseDir, "todos"));
    mkdirSync(join(baseDir, "commands"));
    symlinkSync("skills/review", join(baseDir, "review-skill"));
    if (opts.sessionDirs !== false) {
      for (const name of SESSION_DIRS) mkdirSync(join(baseDir, name), { mode: 0o700 });
      write(join(baseDir, "sessions", "4242.json"), '{"pid":4242}', 0o600);
    }
    if (opts.plans !== false) {
      mkdirSync(join(baseDir, "plans"));
      write(join(baseDir, "plans", "calm-river.md"), "# Plan\n1. Do it.\n");
    }
    write(join(baseDir, ".DS_Store"), "\u0000\u0000\u0000\u0001Bud1");
    write(join(baseDir, "._settings.json"), "\u0000\u0005\u0016\u0007");
    mkdirSync(join(baseDir, "ide"));
    write(join(baseDir, "ide", "4242.lock"), '{"pid":4242}');
    mkdirSync(join(baseDir, "daemon"));
    write(
      join(baseDir, ".credentials.json"),
      JSON.stringify({ claudeAiOauth: { accessToken: "base-access", refreshToken: "base-refresh" } }),
      0o600,
    );
    write(join(baseDir, "stats-cache.json"), "{}");
    write(join(baseDir, "settings.json.tmp.123.456"), "{}");
    mkdirSync(join(baseDir, ".oauth_refresh.lock"));
  }

  let claudeJson: Record<string, unknown> | undefined;
  if (opts.claudeJson !== false) {
    if (typeof opts.claudeJson === "string") {
      write(baseJsonPath, opts.claudeJson, 0o600);
    } else {
      claudeJson = typeof opts.claudeJson === "object" ? opts.claudeJson : realisticClaudeJson();
      write(baseJsonPath, JSON.stringify(claudeJson, null, 2), 0o600);
    }
  }
  return { home, baseDir, baseJsonPath, claudeJson };
}

/** Shared dirs `makeBase` creates besides projects/, plans/, todos/ and plugins/. */
export const SESSION_DIRS: readonly string[] = ["file-history", "session-env", "sessions", "shell-snapshots"];

/** Names `syncOverlay` links for the default `makeBase` tree. */
export const PROJECTED_BASE_NAMES: readonly string[] = [
  "CLAUDE.md",
  "commands",
  "file-history",
  "history.jsonl",
  "plans",
  "plugins",
  "projects",
  "review-skill",
  "session-env",
  "sessions",
  "settings.json",
  "shell-snapshots",
  "skills",
  "todos",
];
