// Keeps an account dir in step with the base around a session: before claude starts (shared dirs
// exist in the base, links in place, settings merged both ways) and after it exits (settings the
// session changed are written back into ~/.claude.json).
import { join } from "node:path";
import type { Env } from "../env.ts";
import { assertAccountDir } from "../fs/safe-path.ts";
import { type MergeResult, mergeShareableKeys } from "../overlay/claude-json.ts";
import { ensureBaseSharedDirs, syncOverlay } from "../overlay/symlinks.ts";
import { log } from "../ui/log.ts";

function reportMerge(merged: MergeResult): void {
  if (merged.skipped?.reason === "account-unparsable" || merged.skipped?.reason === "base-unparsable") {
    log.warn(
      `${merged.skipped.path} cannot be read (${merged.skipped.detail}); settings were not merged with ~/.claude.json (run \`ccp doctor\`).`,
    );
  }
  if (merged.baseSkipped) {
    log.dim(`${merged.baseSkipped.detail}; this account's changed settings flow back next time.`);
  }
}

function mergeSettings(env: Env, configDir: string): void {
  try {
    reportMerge(
      mergeShareableKeys({ baseJsonPath: env.claudeJson, accountJsonPath: join(configDir, ".claude.json") }),
    );
  } catch (error) {
    log.warn(`${(error as Error).message} Settings were not merged (run \`ccp doctor\`).`);
  }
}

/** Before the launch: shared dirs in the base, real ones merged into it, links, settings merged. */
export function prepareAccountFiles(env: Env, configDir: string): void {
  // A dir swapped for a link (to ~/.claude, say) would aim every write below at the link's target.
  assertAccountDir(env.accountsDir, configDir);
  try {
    ensureBaseSharedDirs(env.claudeDir);
  } catch (error) {
    log.warn((error as Error).message);
  }
  const report = syncOverlay({ baseDir: env.claudeDir, accountDir: configDir }, { mergeIntoBase: true });
  for (const c of report.conflicts) log.warn(`${c.message} (run \`ccp doctor\`).`);
  mergeSettings(env, configDir);
}

/** At check-in, once claude has exited: write back what the session changed. Never throws. */
export function checkInAccountFiles(env: Env, configDir: string): void {
  try {
    assertAccountDir(env.accountsDir, configDir);
  } catch (error) {
    log.warn(`${(error as Error).message} Settings were not written back.`);
    return;
  }
  mergeSettings(env, configDir);
}
