// What `ccp select` does once its flags are read. The command (select.ts) parses them; a bare
// `ccp select`, the form that `CLAUDE_CONFIG_DIR=$(ccp select) claude` runs before every session,
// comes here straight from cli.ts with the defaults, without the dispatcher, the command table or
// the flag parser: a bare pick loads a fifth less code, and stays under the heap size at which
// JavaScriptCore starts its block warm-up thread (a millisecond of a 10 ms command).
import { env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { isTerminal, writeErr, writeOut } from "../ui/output.ts";
import { quoteArg } from "../ui/safe-text.ts";

export interface SelectRunOptions {
  wait: boolean;
  /** An account id or name to force (already checked for being non-empty). */
  account: string | undefined;
  noDaemon: boolean;
  freshMs: number;
  json: boolean;
  explain: boolean;
}

/** `ccp select` with no flags. */
export const BARE_SELECT: SelectRunOptions = {
  wait: false,
  account: undefined,
  noDaemon: false,
  freshMs: 60_000,
  json: false,
  explain: false,
};

export async function runSelect(options: SelectRunOptions): Promise<number> {
  const e = env();
  // One import for the whole pick: every import() target is a module of its own to load.
  const { announceLine, openExistingPool, selectAccount } = await import("../app/select.ts");
  const db = openExistingPool(e);
  if (!db) {
    if (options.account !== undefined) {
      throw new CcpError("unknown-account", `No account ${quoteArg(options.account)}: the pool is empty.`, {
        hint: "Run `ccp add` first.",
      });
    }
    throw new CcpError("no-accounts", "The pool is empty.", {
      hint: "Run `ccp add` to add your first subscription.",
    });
  }
  // Loaded only with --wait: the plain pick stays lean.
  const waitLine = options.wait
    ? (await import("../ui/wait-line.ts")).createWaitLine({ isTTY: isTerminal(2), write: writeErr })
    : undefined;
  try {
    const selection = await selectAccount(e, db, {
      forced: options.account ?? e.forcedAccount,
      wait: options.wait,
      noDaemon: options.noDaemon,
      freshMs: options.freshMs,
      cwd: process.cwd(),
      kind: "select",
      pid: null,
      onWait: (wakeAtMs, ranked, recoveryAtMs) => waitLine?.update(wakeAtMs, ranked, recoveryAtMs),
    });
    waitLine?.stop();
    if (options.explain) {
      const { renderExplain } = await import("../ui/explain.ts");
      writeErr(`${renderExplain(selection.decision)}\n`);
    }
    if (options.json) {
      const { decisionJson } = await import("../ui/explain.ts");
      writeOut(`${JSON.stringify(decisionJson(selection), null, 2)}\n`);
    } else {
      writeOut(`${selection.account.configDir}\n`);
    }
    // The messages are for a person: the logger loads only when there is one to show.
    const announce = isTerminal(2);
    if (announce || selection.decision.warning) {
      const { log } = await import("../ui/log.ts");
      if (announce) log.info(announceLine(selection));
      if (selection.decision.warning) log.warn(selection.decision.warning);
    }
    return 0;
  } finally {
    waitLine?.stop();
    db.close();
  }
}
