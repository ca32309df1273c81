import { defineCommand } from "../command.ts";
import { env } from "../env.ts";
import { CcpError, usageError } from "../errors.ts";
import { quoteArg } from "../ui/safe-text.ts";
import { writeOut } from "../ui/output.ts";

const ACTIONS = ["install", "uninstall", "status"] as const;
type Action = (typeof ACTIONS)[number];

function ago(atMs: number | null, nowMs: number): string {
  if (atMs === null) return "never";
  const s = Math.max(0, Math.round((nowMs - atMs) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

export default defineCommand({
  meta: { name: "service", description: "Manage the background daemon: install, uninstall, status" },
  args: {
    action: { type: "positional", description: "install | uninstall | status" },
    force: { type: "boolean", description: "uninstall: skip the live-session check" },
    purge: {
      type: "boolean",
      description: "uninstall: also remove every pool account and all state (never ~/.claude)",
    },
    json: { type: "boolean", description: "status: print as JSON" },
  },
  async run({ args }) {
    const action = args.action as string;
    if (!ACTIONS.includes(action as Action)) {
      throw usageError(
        `Unknown action ${quoteArg(String(action))} for \`ccp service\`: expected install, uninstall or status.`,
        "Run `ccp help service`.",
      );
    }
    if (action !== "uninstall" && (args.force || args.purge))
      throw usageError("--force and --purge go with `ccp service uninstall` only.");
    if (action !== "status" && args.json) throw usageError("--json goes with `ccp service status` only.");
    const e = env();
    const { machineHost, poolAccess, removeAllAccounts } = await import("../app/service-start.ts");
    const service = await import("../daemon/service.ts");
    const { log } = await import("../ui/log.ts");
    const host = await machineHost(e);
    const pool = poolAccess(e);

    if (action === "status") {
      const st = await service.serviceStatus(e, pool, host);
      if (args.json) {
        writeOut(`${JSON.stringify(st, null, 2)}\n`);
        return 0;
      }
      const nowMs = Date.now();
      const lines = [
        `Service:    ${st.manager === "none" ? `none (${st.managerReason})` : `${st.managerName}, ${st.installed ? "installed" : "not installed"}${st.file ? ` (${st.file})` : ""}`}`,
        ...(st.settings ? [`Settings:   ${st.settings}`] : []),
        `Daemon:     ${st.running ? `running (pid ${st.pid}, version ${st.version}, heartbeat ${ago(st.heartbeatAtMs, nowMs)})` : "not running"}`,
        `Last poll:  ${ago(st.lastPollAtMs, nowMs)}`,
        `Last error: ${st.lastError ? `${st.lastError} (${ago(st.lastErrorAtMs, nowMs)})` : "none"}`,
        `Log:        ${st.log}`,
      ];
      if (st.usageRequests.length > 0)
        lines.push(
          `Requests:   ${st.usageRequests.map((r) => `${r.name} ${r.lastHour}/h`).join(", ")} to the usage endpoint in the last hour (automatic polls stay under 20 per account)`,
        );
      if (st.autostartDisabled)
        lines.push("Autostart:  off (the service was uninstalled; `ccp service install` turns it back on)");
      writeOut(`${lines.join("\n")}\n`);
      return 0;
    }

    if (action === "install") {
      const result = await service.installService(e, pool, host);
      if (!result.installed) {
        throw new CcpError("failure", `No service manager here: ${result.manager.reason}.`, {
          hint: `Run the daemon by hand instead (it stops at logout or reboot): ${result.manual}`,
        });
      }
      const what = result.changed ? "Installed and started" : "Already installed and running:";
      log.success(`${what} the cc-pool ${result.manager.name}${result.file ? ` (${result.file})` : ""}.`);
      return 0;
    }

    const { runningSessions } = await import("../store/sessions.ts");
    const result = await service.uninstallService(e, pool, host, {
      force: Boolean(args.force),
      purge: Boolean(args.purge),
      // Reservations are launches not started yet: they never block an uninstall.
      liveSessions: () => pool.withDb((db) => runningSessions(db, Date.now())) ?? [],
      removeAccounts: () => removeAllAccounts(e),
    });
    if (result.removedFile) log.success(`Removed the ${result.manager.name} (${result.removedFile}).`);
    else if (result.manager.kind === "brew") log.success("Stopped the Homebrew service.");
    else log.info("No service was installed.");
    if (result.stoppedPid !== null) log.success(`Stopped the daemon (pid ${result.stoppedPid}).`);
    for (const problem of result.problems) log.warn(problem);
    if (result.purged) {
      if (result.leftInHome.length > 0)
        log.warn(
          `Removed the pool; ${e.ccpHome} still holds files cc-pool did not create: ${result.leftInHome.join(", ")}.`,
        );
      else log.success(`Removed every account and ${e.ccpHome}. ~/.claude was not touched.`);
    } else {
      log.info("The daemon will not start again until `ccp service install`, `ccp init` or `ccp add`.");
    }
    return result.problems.length > 0 ? 1 : 0;
  },
});
