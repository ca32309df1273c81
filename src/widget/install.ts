// Installing and removing the widget. On macOS: a plugin in SwiftBar's or xbar's plugin folder.
// On Linux: scripts under $CCP_HOME/widget plus modules to paste into a waybar or polybar config.
// A manifest records every file written, and only files carrying the script marker are removed.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { CcpError } from "../errors.ts";
import { writeFileAtomic } from "../overlay/atomic-write.ts";
import { ensurePrivateDir } from "../store/db.ts";
import { MENUBAR_PLUGIN_NAME, REFRESH_SECONDS, WIDGET_MARKER, shellQuote, widgetScript } from "./scripts.ts";

export type MenuBarApp = "SwiftBar" | "xbar";

export interface WidgetHost {
  platform: string;
  home: string;
  ccpHome: string;
  /** How the scripts run ccp (see self.ts). */
  ccpCommand: readonly string[];
  /** SwiftBar's configured plugin folder (`defaults read com.ameba.SwiftBar PluginDirectory`). */
  swiftbarPluginDir: () => string | undefined;
  /** Folders that may hold SwiftBar.app or xbar.app. */
  applicationDirs: readonly string[];
}

export type WidgetInstall =
  | { kind: "menubar"; app: MenuBarApp; pluginPath: string; replaced: boolean }
  | {
      kind: "statusbar";
      waybarScript: string;
      polybarScript: string;
      /** Ready to paste into waybar's config (JSON). */
      waybarModule: string;
      /** Ready to paste into polybar's config.ini. */
      polybarModule: string;
    };

const MANIFEST = "installed.json";

export function widgetDir(ccpHome: string): string {
  return join(ccpHome, "widget");
}

function expandHome(path: string, home: string): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

function swiftbarDefaultDir(home: string): string {
  return join(home, "Library/Application Support/SwiftBar/Plugins");
}

function xbarDir(home: string): string {
  return join(home, "Library/Application Support/xbar/plugins");
}

function appInstalled(host: WidgetHost, app: MenuBarApp): boolean {
  return host.applicationDirs.some((dir) => existsSync(join(dir, `${app}.app`)));
}

/** SwiftBar when it is configured or installed, else xbar, else nothing. */
export function findMenuBarApp(host: WidgetHost): { app: MenuBarApp; dir: string } | undefined {
  const configured = host.swiftbarPluginDir();
  if (configured) return { app: "SwiftBar", dir: expandHome(configured, host.home) };
  const swiftbar = swiftbarDefaultDir(host.home);
  if (existsSync(swiftbar) || appInstalled(host, "SwiftBar")) return { app: "SwiftBar", dir: swiftbar };
  const xbar = xbarDir(host.home);
  if (existsSync(xbar) || appInstalled(host, "xbar")) return { app: "xbar", dir: xbar };
  return undefined;
}

function isOurs(path: string): boolean {
  try {
    return readFileSync(path, "utf8").split("\n", 3).includes(WIDGET_MARKER);
  } catch {
    return false;
  }
}

function readManifest(ccpHome: string): string[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(widgetDir(ccpHome), MANIFEST), "utf8"));
    const files = (parsed as { files?: unknown }).files;
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === "string") : [];
  } catch {
    return [];
  }
}

function recordInManifest(ccpHome: string, paths: string[]): void {
  const dir = widgetDir(ccpHome);
  ensurePrivateDir(ccpHome);
  ensurePrivateDir(dir);
  const files = [...new Set([...readManifest(ccpHome), ...paths])];
  writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify({ files }, null, 2)}\n`, 0o600);
}

/** Writes a script unless a file that is not ours is in the way. Returns whether one was replaced. */
function writeScript(path: string, content: string): boolean {
  const exists = existsSync(path);
  if (exists && !isOurs(path)) {
    throw new CcpError("conflict", `${path} already exists and was not written by cc-pool.`, {
      hint: "Move it aside (or delete it) and run `ccp widget` again.",
    });
  }
  writeFileAtomic(path, content, 0o755);
  return exists;
}

function installMenuBar(host: WidgetHost): WidgetInstall {
  const found = findMenuBarApp(host);
  if (!found) {
    throw new CcpError(
      "failure",
      "No menu-bar app for the widget: cc-pool's widget runs in SwiftBar or xbar.",
      {
        hint: "Install one (`brew install --cask swiftbar`, or `brew install --cask xbar`), open it once, then run `ccp widget` again.",
      },
    );
  }
  // The plugin folder belongs to the menu-bar app: create it when missing, leave its mode alone.
  mkdirSync(found.dir, { recursive: true });
  const pluginPath = join(found.dir, MENUBAR_PLUGIN_NAME);
  const replaced = writeScript(
    pluginPath,
    widgetScript("swiftbar", { ccpCommand: host.ccpCommand, ccpHome: host.ccpHome }),
  );
  recordInManifest(host.ccpHome, [pluginPath]);
  return { kind: "menubar", app: found.app, pluginPath, replaced };
}

function installStatusBar(host: WidgetHost): WidgetInstall {
  const dir = widgetDir(host.ccpHome);
  ensurePrivateDir(host.ccpHome);
  ensurePrivateDir(dir);
  const options = { ccpCommand: host.ccpCommand, ccpHome: host.ccpHome };
  const waybarScript = join(dir, "cc-pool-waybar.sh");
  const polybarScript = join(dir, "cc-pool-polybar.sh");
  writeScript(waybarScript, widgetScript("waybar", options));
  writeScript(polybarScript, widgetScript("polybar", options));
  recordInManifest(host.ccpHome, [waybarScript, polybarScript]);
  const waybarModule = `"custom/cc-pool": ${JSON.stringify(
    { exec: shellQuote(waybarScript), "return-type": "json", interval: REFRESH_SECONDS, tooltip: true },
    null,
    2,
  )}`;
  const polybarModule = [
    "[module/cc-pool]",
    "type = custom/script",
    `exec = ${shellQuote(polybarScript)}`,
    `interval = ${REFRESH_SECONDS}`,
  ].join("\n");
  return { kind: "statusbar", waybarScript, polybarScript, waybarModule, polybarModule };
}

export function installWidget(host: WidgetHost): WidgetInstall {
  return host.platform === "darwin" ? installMenuBar(host) : installStatusBar(host);
}

/** Removes every widget file cc-pool wrote (and nothing else). Returns the paths removed. */
export function uninstallWidget(host: WidgetHost): string[] {
  const dir = widgetDir(host.ccpHome);
  const candidates = new Set(readManifest(host.ccpHome));
  // Also the default places, in case the manifest was lost.
  candidates.add(join(dir, "cc-pool-waybar.sh"));
  candidates.add(join(dir, "cc-pool-polybar.sh"));
  if (host.platform === "darwin") {
    const configured = host.swiftbarPluginDir();
    if (configured) candidates.add(join(expandHome(configured, host.home), MENUBAR_PLUGIN_NAME));
    candidates.add(join(swiftbarDefaultDir(host.home), MENUBAR_PLUGIN_NAME));
    candidates.add(join(xbarDir(host.home), MENUBAR_PLUGIN_NAME));
  }
  const removed: string[] = [];
  for (const path of candidates) {
    if (!isOurs(path)) continue;
    rmSync(path, { force: true });
    removed.push(path);
  }
  rmSync(join(dir, MANIFEST), { force: true });
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {}
  return removed;
}
