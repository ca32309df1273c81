import { defineCommand } from "../command.ts";
import { usageError } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "statusline",
    description:
      "Claude Code's status line: the session's account, 5h/7d used, next reset (install | uninstall to turn it on or off)",
  },
  args: {
    action: {
      type: "positional",
      description: "install | uninstall (none: print the line)",
      required: false,
    },
  },
  // `ccp statusline` and `ccp statusline -- <command…>` are routed by cli.ts before this module loads.
  async run({ args }) {
    const action = args.action as string | undefined;
    if (action !== "install" && action !== "uninstall") {
      throw usageError(
        `Unknown action "${action}" for \`ccp statusline\`: expected install or uninstall.`,
        "Run `ccp help statusline`.",
      );
    }
    const { env } = await import("../env.ts");
    const { log } = await import("../ui/log.ts");
    const e = env();
    const install = await import("../app/statusline-install.ts");
    if (action === "install") {
      const { stableSelfCommand } = await import("../app/self-path.ts");
      const self = stableSelfCommand({
        execPath: process.execPath,
        script: Bun.main,
        argv0: process.argv0,
        pathEnv: e.path,
      });
      const r = install.installStatusline(e, self);
      if (r.kind === "already") {
        log.info(`The cc-pool status line is already on in ${r.settings}.`);
        return 0;
      }
      log.success(`Set statusLine in ${r.settings} to:`);
      process.stdout.write(`${r.command}\n`);
      log.dim(
        r.wrapped
          ? `Your status line (${r.wrapped}) still runs and prints first. \`ccp statusline uninstall\` puts it back.`
          : "`ccp statusline uninstall` removes it again.",
      );
      return 0;
    }
    const r = install.uninstallStatusline(e);
    if (r.kind === "not-installed") {
      log.info(
        r.current
          ? `The status line in ${r.settings} is not cc-pool's (${r.current}); nothing changed.`
          : `No cc-pool status line in ${r.settings}; nothing changed.`,
      );
      return 0;
    }
    log.success(
      r.original
        ? `Restored your status line in ${r.settings}: ${r.original}`
        : `Removed the cc-pool status line from ${r.settings}.`,
    );
    return 0;
  },
});
