import { existsSync } from "node:fs";
import type { Env } from "../env.ts";
import { CcpError, usageError } from "../errors.ts";
import { type AccountIdentity, readAccountIdentity } from "../overlay/identity.ts";
import {
  type AccountRow,
  getAccount,
  listAccounts,
  nameTaken,
  validateAccountName,
} from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { log } from "../ui/log.ts";
import { displayPath } from "../ui/paths.ts";
import * as prompts from "../ui/prompts.ts";
import {
  type RecordedAccount,
  discardPreparedAccount,
  prepareAccountDir,
  recordAccount,
} from "./accounts.ts";
import { findClaude } from "./claude-bin.ts";
import { EXIT_BY_SIGNAL, LoginTerminated, loginCommand, loginHere, waitForLoginElsewhere } from "./login.ts";
import { openPool } from "./pool.ts";
import { startServiceForInit } from "./service-start.ts";
import { safeText } from "../ui/safe-text.ts";

export interface AddOptions {
  label?: string;
  count?: number;
  yes: boolean;
  runLogin: boolean;
  noAlias: boolean;
  noService: boolean;
  /** Bare `ccp` on an empty pool: the same flow with a welcome. */
  onboarding?: boolean;
  /** Without a terminal, add a subscription that is already in the pool instead of refusing. */
  allowDuplicate?: boolean;
}

const MAX_COUNT = 50;

export function parseCount(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > MAX_COUNT) {
    throw usageError(`--count must be a whole number from 1 to ${MAX_COUNT} (got "${raw}").`);
  }
  return Number(raw);
}

type LoginWay = "here" | "elsewhere";

async function chooseLoginWay(options: AddOptions): Promise<LoginWay> {
  if (options.runLogin || options.yes) return "here";
  return prompts.select<LoginWay>("How do you want to log in?", [
    { value: "here", label: "Log in now, in this terminal" },
    { value: "elsewhere", label: "Log in from another terminal", hint: "prints the command to run" },
  ]);
}

/**
 * The pooled account with the same identity, if any. Identity is (accountUuid, organizationUuid):
 * one person in two organisations (a personal and a team seat) is two subscriptions. When either
 * side's organisation is unknown, the same accountUuid counts as the same subscription.
 */
export function duplicateOf(db: Db, identity: AccountIdentity): AccountRow | undefined {
  return listAccounts(db).find((a) => {
    if (a.accountUuid !== identity.accountUuid) return false;
    const theirOrg = readAccountIdentity(a.configDir)?.organizationUuid;
    return (
      theirOrg === undefined ||
      identity.organizationUuid === undefined ||
      theirOrg === identity.organizationUuid
    );
  });
}

async function chooseName(
  db: Db,
  identity: AccountIdentity,
  label: string | undefined,
): Promise<string | undefined> {
  if (label !== undefined) return label;
  if (!prompts.canPrompt()) return undefined;
  const suggestion = identity.email ?? "";
  const answer = await prompts.text("Name for this account (optional)", {
    initialValue: suggestion,
    validate: (v) => {
      if (v.trim() === "") return undefined;
      try {
        const name = validateAccountName(v);
        return nameTaken(db, name) ? `"${name}" is already used by another account` : undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  return answer.trim() === "" ? undefined : validateAccountName(answer);
}

/** Adds one account: prepare its dir, log in, check duplicates, name it, record it. */
async function addOne(
  env: Env,
  db: Db,
  claudeBin: string,
  options: AddOptions,
  label: string | undefined,
): Promise<RecordedAccount | undefined> {
  const way = await chooseLoginWay(options);
  const prepared = prepareAccountDir(env, db);
  let kept = false;
  try {
    let identity: AccountIdentity;
    if (way === "here") {
      log.dim(`Starting \`claude auth login\` for ${prepared.configDir}: finish the login in your browser.`);
      try {
        identity = await loginHere(env, claudeBin, prepared.configDir);
      } catch (error) {
        if (!(error instanceof LoginTerminated)) throw error;
        // The terminal went away: keep a finished login (under its default name), drop the rest.
        if (error.identity) {
          const recorded = recordAccount(db, prepared, label, Date.now());
          kept = true;
          log.info(`Interrupted by ${error.signal}; the finished login was kept as ${recorded.name}.`);
        } else {
          await discardPreparedAccount(env, prepared.configDir);
          log.info(`Interrupted by ${error.signal}; the unfinished account was removed.`);
        }
        throw new CcpError("cancelled", `ccp add was ended by ${error.signal}.`, {
          exitCode: EXIT_BY_SIGNAL[error.signal],
        });
      }
    } else {
      prompts.note(
        loginCommand(claudeBin, prepared.configDir),
        "Run this in another terminal, then finish the login:",
      );
      const s = prompts.spinner();
      s.start("Waiting for the login to finish (Ctrl-C to cancel)");
      try {
        identity = await waitForLoginElsewhere(prepared.configDir);
      } catch (error) {
        s.fail("Login cancelled.");
        throw error;
      }
      s.stop(`Logged in as ${safeText(identity.email ?? identity.accountUuid)}.`);
    }
    const dup = duplicateOf(db, identity);
    if (dup) {
      const who = safeText(identity.email ?? identity.accountUuid);
      if (prompts.canPrompt()) {
        const keep = await prompts.confirm(
          `${who} is already in the pool as ${safeText(dup.name)} (account ${dup.id}). Add it again?`,
          false,
        );
        if (!keep) {
          await discardPreparedAccount(env, prepared.configDir);
          log.info(`Skipped: ${who} stays in the pool once.`);
          return undefined;
        }
      } else if (options.allowDuplicate) {
        log.warn(
          `${who} is already in the pool as ${safeText(dup.name)} (account ${dup.id}); adding it again counts one subscription twice.`,
        );
      } else {
        await discardPreparedAccount(env, prepared.configDir);
        throw new CcpError(
          "conflict",
          `${who} is already in the pool as ${dup.name} (account ${dup.id}); it was not added again.`,
          {
            hint: `Pass --allow-duplicate to add the same subscription twice, or \`ccp login ${dup.id}\` to log ${dup.name} in again.`,
          },
        );
      }
    }
    const name = await chooseName(db, identity, label);
    const recorded = recordAccount(db, prepared, name, Date.now());
    log.success(`Added ${safeText(recorded.name)}.`);
    const row = getAccount(db, recorded.id);
    if (row) await sampleNewAccount(env, db, row);
    return recorded;
  } catch (error) {
    if (!kept) await discardPreparedAccount(env, prepared.configDir);
    throw error;
  }
}

/**
 * Samples an account right after its login lands, so the very next pick scores real numbers
 * instead of a never-sampled guess. Bounded; a failure only means the daemon samples it later.
 */
export async function sampleNewAccount(env: Env, db: Db, account: AccountRow): Promise<void> {
  try {
    const { sampleAccounts } = await import("./sample.ts");
    const { LIVE_SAMPLE_TIMEOUT_MS } = await import("./select.ts");
    await sampleAccounts(env, db, [account], { timeoutMs: LIVE_SAMPLE_TIMEOUT_MS });
  } catch {
    // Never worth failing an add over: the login is stored, usage can come later.
  }
}

export async function addAccounts(env: Env, options: AddOptions): Promise<number> {
  // Bad flags are usage errors (exit 2) whatever else is wrong.
  const label = options.label === undefined ? undefined : validateAccountName(options.label);
  const interactive = prompts.canPrompt();
  if (!interactive && !options.yes && options.count === undefined && options.runLogin) {
    // --run-login settles how to log in; what is left to ask is whether to add another account.
    throw new CcpError(
      "no-tty",
      "`ccp add --run-login` needs a terminal to ask whether to add another account.",
      {
        hint: "Pass --yes for one account or --count <n> for several, e.g. `ccp add --run-login --yes --no-alias`.",
      },
    );
  }
  if (!interactive && !options.yes && options.count === undefined) {
    throw new CcpError("no-tty", "`ccp add` needs a terminal to ask how to log in.", {
      hint: "For scripted use pass --yes (one account, log in right away), e.g. `ccp add --yes --run-login --label work --no-alias`.",
    });
  }
  if (!interactive && !options.yes && !options.runLogin) {
    throw new CcpError("no-tty", "`ccp add --count` needs a terminal to ask how to log in.", {
      hint: "Add --run-login to log in in this terminal without asking.",
    });
  }
  const claudeBin = findClaude(env);
  const isNewPool = !existsSync(env.dbPath);
  const db = openPool(env);
  try {
    if (label !== undefined && nameTaken(db, label)) {
      throw usageError(`Another account is already named "${label}".`, "Pick a different --label.");
    }
    if (options.onboarding) prompts.intro("cc-pool");
    if (isNewPool) log.success(`Set up cc-pool in ${displayPath(env.home, env.ccpHome)}.`);
    const target = options.count ?? (options.yes ? 1 : undefined);
    const added: RecordedAccount[] = [];
    for (let i = 0; target === undefined || i < target; i++) {
      const one = await addOne(env, db, claudeBin, options, i === 0 ? label : undefined);
      if (one) added.push(one);
      if (target !== undefined) continue;
      // A pool of one balances nothing: offer the second account by default.
      const wantMore = listAccounts(db).length < 2;
      if (!(await prompts.confirm("Add another account?", wantMore))) break;
    }
    const total = listAccounts(db).length;
    log.info(`Your pool now has ${total} account${total === 1 ? "" : "s"}.`);
    await startServiceForInit(env, { skip: options.noService });
    await offerAlias(env, options);
    prompts.outro("Launch Claude on the emptiest account with `ccp run`.");
    if (!interactive) log.info("Next: `ccp run` launches Claude on the emptiest account.");
    return 0;
  } finally {
    db.close();
  }
}

async function offerAlias(env: Env, options: AddOptions): Promise<void> {
  if (options.noAlias) return;
  const { detectAlias, installAlias } = await import("./alias.ts");
  const status = detectAlias({ home: env.home, shell: env.shell });
  if (status.kind === "present") return;
  if (status.kind === "unsupported-shell") {
    log.dim("Add `alias claude='ccp run'` to your shell's startup file to launch every claude on the pool.");
    return;
  }
  if (status.kind === "conflict") {
    log.dim(`Not adding a claude alias: ${status.rcFile} already defines claude (${status.detail}).`);
    return;
  }
  if (!prompts.canPrompt()) {
    log.dim(
      "Not adding a claude alias without a terminal to ask; run `ccp add` in a terminal, or add `alias claude='ccp run'` yourself.",
    );
    return;
  }
  if (!(await prompts.confirm("Wrap `claude` to always launch on the emptiest account?", true))) return;
  const result = installAlias({ home: env.home, shell: env.shell });
  if (result.kind === "added") {
    const rc = displayPath(env.home, result.rcFile);
    log.success(`Wrapped \`claude\`: added an alias to ${rc}.`);
    log.info(
      `Restart your shell or run \`source ${rc}\` to use it now. \`command claude\` runs plain ~/.claude.`,
    );
  }
}
