// Keeps an account dir in step with the base around a session: before claude starts (shared dirs
// exist in the base, links in place, settings merged both ways) and after it exits (settings the
// session changed are written back into ~/.claude.json).
import { join } from "../fs/posix-path.ts";
import type { Env } from "../env.ts";
import { assertAccountDir } from "../fs/safe-path.ts";
import type { MergeResult } from "../overlay/claude-json.ts";
import { mergeStatePath } from "../overlay/json-file.ts";
import { LaunchRecord, type SignedFile, signFiles } from "../overlay/launch-record.ts";
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

/** The record part of the `.claude.json` merge (launch-record.ts). */
const MERGE_PART = "claude-json-merge";

/** Everything the merge reads: both configs (the base as read, through a dotfiles link) and its record. */
function mergeInputs(env: Env, accountJsonPath: string): SignedFile[] {
  return [
    { path: env.claudeJson, follow: true },
    { path: accountJsonPath, follow: false },
    { path: mergeStatePath(accountJsonPath), follow: false },
  ];
}

/** A merge that wrote nothing, postponed nothing and had nothing to warn about. */
function mergeWasIdle(merged: MergeResult): boolean {
  return (
    merged.skipped === undefined &&
    merged.baseSkipped === undefined &&
    !merged.changed &&
    merged.toBase.length === 0 &&
    merged.conflicts.length === 0
  );
}

/**
 * The two-way merge, skipped when neither config nor the merge record changed since a merge that
 * had nothing to do: it would read the same values and do nothing again (launch-record.ts says why
 * the signatures prove that). Any change, by claude or by hand, makes it run; only then is the
 * merge's code loaded.
 */
async function mergeSettings(env: Env, configDir: string, record: LaunchRecord): Promise<void> {
  const accountJsonPath = join(configDir, ".claude.json");
  const inputs = mergeInputs(env, accountJsonPath);
  const before = signFiles(inputs);
  if (record.unchanged(MERGE_PART, before)) return;
  try {
    const { mergeShareableKeys } = await import("../overlay/claude-json.ts");
    const merged = mergeShareableKeys({ baseJsonPath: env.claudeJson, accountJsonPath });
    reportMerge(merged);
    if (mergeWasIdle(merged)) record.settle(MERGE_PART, before, signFiles(inputs));
    else record.forget(MERGE_PART);
  } catch (error) {
    record.forget(MERGE_PART);
    log.warn(`${(error as Error).message} Settings were not merged (run \`ccp doctor\`).`);
  }
}

/**
 * Before the launch: shared dirs in the base, real ones merged into it, links, settings merged.
 * Returns the account's launch record, for the caller to use and save once before claude starts.
 */
export async function prepareAccountFiles(env: Env, configDir: string): Promise<LaunchRecord> {
  // A dir swapped for a link (to ~/.claude, say) would aim every write below at the link's target.
  assertAccountDir(env.accountsDir, configDir);
  const record = LaunchRecord.load(configDir);
  try {
    ensureBaseSharedDirs(env.claudeDir);
  } catch (error) {
    log.warn((error as Error).message);
  }
  const report = syncOverlay({ baseDir: env.claudeDir, accountDir: configDir }, { mergeIntoBase: true });
  for (const c of report.conflicts) log.warn(`${c.message} (run \`ccp doctor\`).`);
  await mergeSettings(env, configDir, record);
  return record;
}

/** At check-in, once claude has exited: write back what the session changed. Never throws. */
export async function checkInAccountFiles(env: Env, configDir: string): Promise<void> {
  try {
    assertAccountDir(env.accountsDir, configDir);
  } catch (error) {
    log.warn(`${(error as Error).message} Settings were not written back.`);
    return;
  }
  // What claude changed makes the merge run; a session that changed nothing leaves it skipped.
  const record = LaunchRecord.load(configDir);
  await mergeSettings(env, configDir, record);
  record.save();
}
