// The real Claude Code CLI (npm package) for end-to-end tests: its path, the environment that points
// it at the fake API, and the state that lets it start interactively without first-run dialogs.
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./cli.ts";
import type { FakeAnthropic } from "./fake-anthropic.ts";
import type { TestPool } from "./pool.ts";

export const REAL_CLAUDE = realpathSync(join(REPO_ROOT, "node_modules/.bin/claude"));

export function realClaudeVars(pool: TestPool, fake: { url: string }): Record<string, string> {
  return {
    ...pool.vars,
    CCP_CLAUDE_BIN: REAL_CLAUDE,
    ANTHROPIC_BASE_URL: fake.url,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    TERM: "xterm-256color",
  };
}

function editJson(path: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  edit(json);
  writeFileSync(path, JSON.stringify(json, null, 2), { mode: 0o600 });
}

/** Trusts `cwd` and skips the fullscreen-renderer offer in every account, so the prompt comes up at once. */
export function readyForInteractive(pool: TestPool, cwd: string): void {
  for (const account of pool.accounts) {
    editJson(join(account.configDir, ".claude.json"), (json) => {
      json.fullscreenUpsellSeenCount = 99;
      const projects = (json.projects ?? {}) as Record<string, unknown>;
      projects[cwd] = { ...((projects[cwd] as object) ?? {}), hasTrustDialogAccepted: true };
      json.projects = projects;
    });
  }
  editJson(join(pool.home, ".claude.json"), (json) => {
    const projects = (json.projects ?? {}) as Record<string, unknown>;
    projects[cwd] = { hasTrustDialogAccepted: true };
    json.projects = projects;
  });
}

/** Message requests the fake server saw, by token chain. */
export function messageChains(fake: FakeAnthropic): Array<string | null> {
  return fake.requests
    .filter(
      (r) => r.path.startsWith("/v1/messages") && r.method === "POST" && !r.path.includes("count_tokens"),
    )
    .map((r) => r.chainId);
}
