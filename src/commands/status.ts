import { defineCommand } from "../command.ts";
import { parseDurationMs } from "../duration.ts";
import { type Env, env } from "../env.ts";
import type { Db } from "../store/db.ts";
import { usageError } from "../errors.ts";
import { isTerminal, writeErr, writeOut } from "../ui/output.ts";

/** The dashboard's `l` key: `ccp login` on the plain terminal; resolves to the line to show after. */
async function loginFromDashboard(e: Env, db: Db, accountId: number): Promise<string | undefined> {
  const { reloginAccount } = await import("../app/relogin.ts");
  const { getAccount } = await import("../store/accounts.ts");
  const { log } = await import("../ui/log.ts");
  const account = getAccount(db, accountId);
  if (!account) return undefined;
  try {
    log.dim(`Logging ${account.name} in again: finish the login in your browser.`);
    const result = await reloginAccount(e, db, account, { force: false });
    return result.kind === "still-works"
      ? `${account.name}'s login still works; it is back in the pool`
      : `Logged ${account.name} in again${result.email ? ` as ${result.email}` : ""}`;
  } catch (error) {
    return `Login failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** --watch reprints at most this often: each frame may sample usage. */
const MIN_INTERVAL_MS = 1_000;

export default defineCommand({
  meta: {
    name: "status",
    description: "Per-account usage, score and sessions: a live dashboard on a terminal, a table when piped",
  },
  args: {
    plain: { type: "boolean", description: "Print the plain table instead of the live dashboard" },
    watch: { type: "boolean", alias: "w", description: "Reprint the plain table continuously" },
    interval: {
      type: "string",
      description: "Refresh interval for --watch",
      valueHint: "duration",
      default: "5s",
    },
    live: { type: "boolean", description: "Sample usage live even when the daemon is running" },
    json: { type: "boolean", description: "Print the pool as JSON (one line per refresh with --watch)" },
  },
  async run({ args }) {
    const intervalMs = parseDurationMs(args.interval ?? "5s");
    if (intervalMs === undefined || intervalMs < MIN_INTERVAL_MS) {
      throw usageError(
        `--interval takes a duration of at least 1s, such as 5s or 1m (got "${args.interval}").`,
      );
    }
    const e = env();
    const cwd = process.cwd();
    const live = Boolean(args.live);
    // One round of imports for the plain table, not one awaited step after another.
    const [{ openExistingPool }, status, { listAccounts }, { colorEnabled }, { makeClock }, plain] =
      await Promise.all([
        import("../app/pool.ts"),
        import("../app/status.ts"),
        import("../store/accounts.ts"),
        import("../ui/color.ts"),
        import("../ui/status/clock.ts"),
        import("../ui/status/plain.ts"),
      ]);
    const db = openExistingPool(e);
    try {
      if (db === undefined || listAccounts(db).length === 0) {
        if (args.json) {
          const { statusJson } = await import("../ui/status/json.ts");
          const model = db
            ? status.buildStatusModel(db, Date.now(), cwd, { history: false })
            : status.emptyStatusModel(Date.now(), cwd);
          writeOut(`${JSON.stringify(statusJson(model), null, 2)}\n`);
        } else {
          writeErr(`${plain.EMPTY_POOL_TEXT}\n`);
        }
        return 0;
      }
      const clock = makeClock();
      const interactive = !args.plain && !args.json && !args.watch && isTerminal(1) && isTerminal(0);
      if (interactive) {
        const [{ runDashboard }, { statusSource }, { useNormalJit }] = await Promise.all([
          import("../ui/status/terminal.ts"),
          import("../ui/status/source.ts"),
          import("../app/jit.ts"),
        ]);
        useNormalJit();
        const source = statusSource(e, db, { cwd, live });
        let message: string | undefined;
        for (let first = true; ; first = false) {
          const code = await runDashboard(source, {
            input: process.stdin,
            output: process.stdout,
            color: colorEnabled(1),
            clock,
            sampleFirst: live && first,
            message,
          });
          const accountId = source.takeLoginRequest();
          if (accountId === null) return code;
          message = await loginFromDashboard(e, db, accountId);
        }
      }

      const color = !args.json && colorEnabled(1);
      const { renderPlain } = plain;
      const json = args.json ? await import("../ui/status/json.ts") : undefined;
      let force = live;
      let notes: string[] = [];
      const frame = async (compact: boolean): Promise<string> => {
        const results = await status.sampleDue(e, db, { live, force });
        force = false;
        // The plain table and --json show no sparkline.
        const model = status.buildStatusModel(db, Date.now(), cwd, { history: false });
        if (results.some((r) => r.status !== "ok")) {
          const { staleNotes } = await import("../ui/status/stale-notes.ts");
          notes = staleNotes(results, model, Date.now());
        } else {
          notes = [];
        }
        if (!json) return renderPlain(model, { color, clock });
        return JSON.stringify(json.statusJson(model), null, compact ? undefined : 2);
      };
      if (args.watch) {
        const [{ runWatch }, { useNormalJit }] = await Promise.all([
          import("../ui/status/watch.ts"),
          import("../app/jit.ts"),
        ]);
        useNormalJit();
        return await runWatch(() => frame(Boolean(args.json)), {
          intervalMs,
          // On a terminal frames redraw in place and need its width; piped, they go through the
          // output module, which ends the command quietly once the reader has gone.
          output: !args.json && isTerminal(1) ? process.stdout : { isTTY: false, write: writeOut },
          separator: args.json ? "" : "\n",
        });
      }
      writeOut(`${await frame(false)}\n`);
      if (notes.length > 0) {
        const { log } = await import("../ui/log.ts");
        for (const note of notes) log.warn(note);
      }
      return 0;
    } finally {
      db?.close();
    }
  },
});
