// `ccp widget`: the IO around install.ts and render.ts (the machine's host facts, messages).
import { join } from "node:path";
import type { Env } from "../env.ts";
import { openExistingPool } from "../app/pool.ts";
import { log } from "../ui/log.ts";
import { type WidgetHost, type WidgetInstall, installWidget, uninstallWidget } from "./install.ts";
import { emptyWidgetModel, readWidgetModel } from "./model.ts";
import { type WidgetFormat, renderWidget } from "./render.ts";
import { ccpCommand } from "./self.ts";
import { writeOut } from "../ui/output.ts";

function readSwiftbarPluginDir(): string | undefined {
  try {
    const out = Bun.spawnSync(["defaults", "read", "com.ameba.SwiftBar", "PluginDirectory"], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
    });
    const dir = out.exitCode === 0 ? out.stdout.toString().trim() : "";
    return dir === "" ? undefined : dir;
  } catch {
    return undefined;
  }
}

/** The facts of this machine that installing depends on. */
export function hostFromEnv(env: Env, platform: string = process.platform): WidgetHost {
  return {
    platform,
    home: env.home,
    ccpHome: env.ccpHome,
    ccpCommand: ccpCommand({ execPath: process.execPath, mainPath: Bun.main, pathEnv: env.path }),
    swiftbarPluginDir: platform === "darwin" ? readSwiftbarPluginDir : () => undefined,
    applicationDirs: ["/Applications", join(env.home, "Applications")],
  };
}

/** The widget text for `format`, from the cached pool data; an empty pool renders as such. */
export function renderWidgetNow(env: Env, format: WidgetFormat, nowMs: number = Date.now()): string {
  const db = openExistingPool(env);
  if (!db) return renderWidget(format, emptyWidgetModel());
  try {
    return renderWidget(format, readWidgetModel(db, nowMs));
  } finally {
    db.close();
  }
}

/** Prints what was installed: paths and config snippets on stdout, explanations on stderr. */
export function reportInstall(result: WidgetInstall): void {
  if (result.kind === "menubar") {
    log.success(`${result.replaced ? "Updated" : "Installed"} the ${result.app} plugin:`);
    writeOut(`${result.pluginPath}\n`);
    log.dim(
      `It shows the pool's best 5-hour headroom and refreshes every minute. If it does not appear, choose "Refresh all" in ${result.app}'s menu, or point ${result.app} at that plugin folder.`,
    );
    return;
  }
  log.success("Wrote the status-bar scripts:");
  writeOut(`${result.waybarScript}\n${result.polybarScript}\n`);
  writeOut(
    [
      "",
      '# waybar: add this module to ~/.config/waybar/config and "custom/cc-pool" to a modules list',
      result.waybarModule,
      "",
      "# polybar: add this module to your config.ini and cc-pool to a bar's modules",
      result.polybarModule,
      "",
    ].join("\n"),
  );
}

export function runWidgetInstall(env: Env, host: WidgetHost = hostFromEnv(env)): number {
  reportInstall(installWidget(host));
  return 0;
}

export function runWidgetUninstall(env: Env, host: WidgetHost = hostFromEnv(env)): number {
  const removed = uninstallWidget(host);
  if (removed.length === 0) {
    log.info("No widget installed: nothing to remove.");
    return 0;
  }
  for (const path of removed) log.success(`Removed ${path}`);
  return 0;
}
