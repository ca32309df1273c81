import { defineCommand } from "../command.ts";
import { parseDurationMs } from "../duration.ts";
import { env } from "../env.ts";
import { CcpError, usageError } from "../errors.ts";
import { quoteArg } from "../ui/safe-text.ts";
import { log } from "../ui/log.ts";
import { writeOut, writeErr, isTerminal } from "../ui/output.ts";

export default defineCommand({
  meta: {
    name: "select",
    description: "Print the chosen account's config dir on stdout: the composable hot path",
  },
  args: {
    wait: {
      type: "boolean",
      description: "Wait for an account with headroom instead of using an exhausted one",
    },
    account: { type: "string", description: "Force an account (id or name)", valueHint: "id" },
    "no-daemon": { type: "boolean", description: "Do not use the daemon; sample usage live" },
    fresh: {
      type: "string",
      description: "Reuse cached usage newer than this",
      valueHint: "duration",
      default: "60s",
    },
    json: { type: "boolean", description: "Print the decision as JSON" },
    explain: { type: "boolean", description: "Print every account's score, term by term, on stderr" },
  },
  async run({ args }) {
    const freshMs = parseDurationMs(args.fresh ?? "60s");
    if (freshMs === undefined) {
      throw usageError(`--fresh takes a duration such as 30s, 2m or 1h (got "${args.fresh}").`);
    }
    if (args.account !== undefined && args.account.trim() === "")
      throw usageError("--account needs an account id or name.");
    const e = env();
    // One import for the whole pick: every import() target is a module of its own to load.
    const { announceLine, openExistingPool, selectAccount } = await import("../app/select.ts");
    const db = openExistingPool(e);
    if (!db) {
      if (args.account !== undefined) {
        throw new CcpError(
          "unknown-account",
          `No account ${quoteArg(String(args.account))}: the pool is empty.`,
          {
            hint: "Run `ccp add` first.",
          },
        );
      }
      throw new CcpError("no-accounts", "The pool is empty.", {
        hint: "Run `ccp add` to add your first subscription.",
      });
    }
    // Loaded only with --wait: the plain pick stays lean.
    const waitLine = args.wait
      ? (await import("../ui/wait-line.ts")).createWaitLine({ isTTY: isTerminal(2), write: writeErr })
      : undefined;
    try {
      const selection = await selectAccount(e, db, {
        forced: args.account ?? e.forcedAccount,
        wait: Boolean(args.wait),
        noDaemon: Boolean(args["no-daemon"]),
        freshMs,
        cwd: process.cwd(),
        kind: "select",
        pid: null,
        onWait: (wakeAtMs, ranked, recoveryAtMs) => waitLine?.update(wakeAtMs, ranked, recoveryAtMs),
      });
      waitLine?.stop();
      if (args.explain) {
        const { renderExplain } = await import("../ui/explain.ts");
        writeErr(`${renderExplain(selection.decision)}\n`);
      }
      if (args.json) {
        const { decisionJson } = await import("../ui/explain.ts");
        writeOut(`${JSON.stringify(decisionJson(selection), null, 2)}\n`);
      } else {
        writeOut(`${selection.account.configDir}\n`);
      }
      if (isTerminal(2)) log.info(announceLine(selection));
      if (selection.decision.warning) log.warn(selection.decision.warning);
      return 0;
    } finally {
      waitLine?.stop();
      db.close();
    }
  },
});
