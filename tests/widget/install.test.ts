import { describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { type WidgetHost, findMenuBarApp, installWidget, uninstallWidget } from "../../src/widget/install.ts";
import { WIDGET_MARKER } from "../../src/widget/scripts.ts";
import { ccpCommand } from "../../src/widget/self.ts";
import { tempDir } from "../helpers/cli.ts";

function host(overrides: Partial<WidgetHost> = {}): WidgetHost {
  const home = join(tempDir("whome-"), "home");
  mkdirSync(home, { recursive: true });
  return {
    platform: "linux",
    home,
    ccpHome: join(home, ".cc-pool"),
    ccpCommand: ["/opt/cc-pool/bin/ccp"],
    swiftbarPluginDir: () => undefined,
    applicationDirs: [join(home, "Applications")],
    ...overrides,
  };
}

function mac(overrides: Partial<WidgetHost> = {}): WidgetHost {
  return host({ platform: "darwin", ...overrides });
}

const swiftbarDefault = (h: WidgetHost) => join(h.home, "Library/Application Support/SwiftBar/Plugins");
const xbarDefault = (h: WidgetHost) => join(h.home, "Library/Application Support/xbar/plugins");

function catchError(fn: () => unknown): CcpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CcpError) return error;
    throw error;
  }
  throw new Error("expected a CcpError");
}

describe("Linux: waybar and polybar", () => {
  test("writes two executable scripts under $CCP_HOME/widget and returns ready-to-paste modules", () => {
    const h = host();
    const result = installWidget(h);
    if (result.kind !== "statusbar") throw new Error("expected statusbar");
    const dir = join(h.ccpHome, "widget");
    expect(result.waybarScript).toBe(join(dir, "cc-pool-waybar.sh"));
    expect(result.polybarScript).toBe(join(dir, "cc-pool-polybar.sh"));
    for (const path of [result.waybarScript, result.polybarScript]) {
      expect(statSync(path).mode & 0o777).toBe(0o755);
      expect(readFileSync(path, "utf8")).toContain(WIDGET_MARKER);
      expect(readFileSync(path, "utf8")).toContain("/opt/cc-pool/bin/ccp widget --render");
    }
    expect(JSON.parse(`{${result.waybarModule}}`)).toEqual({
      "custom/cc-pool": { exec: result.waybarScript, "return-type": "json", interval: 60, tooltip: true },
    });
    expect(result.polybarModule.split("\n")).toEqual([
      "[module/cc-pool]",
      "type = custom/script",
      `exec = ${result.polybarScript}`,
      "interval = 60",
    ]);
  });

  test("installing twice is fine; a file cc-pool did not write is never overwritten", () => {
    const h = host();
    installWidget(h);
    installWidget(h);
    const foreign = join(h.ccpHome, "widget", "cc-pool-polybar.sh");
    writeFileSync(foreign, "#!/bin/sh\necho mine\n");
    const error = catchError(() => installWidget(h));
    expect(error.code).toBe("conflict");
    expect(error.message).toContain(foreign);
    expect(readFileSync(foreign, "utf8")).toBe("#!/bin/sh\necho mine\n");
  });

  test("--uninstall removes what it wrote and only that", () => {
    const h = host();
    const dir = join(h.ccpHome, "widget");
    installWidget(h);
    writeFileSync(join(dir, "notes.txt"), "keep me");
    const removed = uninstallWidget(h);
    expect(removed.sort()).toEqual([join(dir, "cc-pool-polybar.sh"), join(dir, "cc-pool-waybar.sh")]);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
    expect(uninstallWidget(h)).toEqual([]);
  });

  test("--uninstall leaves a same-named file that is not cc-pool's, and removes an empty widget dir", () => {
    const h = host();
    const dir = join(h.ccpHome, "widget");
    installWidget(h);
    writeFileSync(join(dir, "cc-pool-waybar.sh"), "#!/bin/sh\necho mine\n");
    expect(uninstallWidget(h)).toEqual([join(dir, "cc-pool-polybar.sh")]);
    expect(readdirSync(dir)).toEqual(["cc-pool-waybar.sh"]);

    const clean = host();
    installWidget(clean);
    uninstallWidget(clean);
    expect(existsSync(join(clean.ccpHome, "widget"))).toBe(false);
    expect(existsSync(clean.ccpHome)).toBe(true);
  });
});

describe("macOS: SwiftBar or xbar", () => {
  test("SwiftBar's configured plugin folder wins (with ~ expanded)", () => {
    const h = mac({ swiftbarPluginDir: () => "~/my plugins" });
    mkdirSync(xbarDefault(h), { recursive: true });
    const result = installWidget(h);
    expect(result).toEqual({
      kind: "menubar",
      app: "SwiftBar",
      pluginPath: join(h.home, "my plugins", "cc-pool.1m.sh"),
      replaced: false,
    });
    const text = readFileSync(join(h.home, "my plugins", "cc-pool.1m.sh"), "utf8");
    expect(text).toContain("widget --render swiftbar");
    expect(statSync(join(h.home, "my plugins", "cc-pool.1m.sh")).mode & 0o777).toBe(0o755);
    expect(installWidget(h)).toMatchObject({ replaced: true });
    expect(readdirSync(xbarDefault(h))).toEqual([]);
  });

  test("SwiftBar.app without a configured folder: its default plugin folder", () => {
    const h = mac();
    mkdirSync(join(h.applicationDirs[0] as string, "SwiftBar.app"), { recursive: true });
    expect(findMenuBarApp(h)).toEqual({ app: "SwiftBar", dir: swiftbarDefault(h) });
    expect(installWidget(h)).toMatchObject({
      app: "SwiftBar",
      pluginPath: join(swiftbarDefault(h), "cc-pool.1m.sh"),
    });
  });

  test("only xbar: xbar's plugin folder", () => {
    const h = mac();
    mkdirSync(join(h.applicationDirs[0] as string, "xbar.app"), { recursive: true });
    expect(installWidget(h)).toMatchObject({
      app: "xbar",
      pluginPath: join(xbarDefault(h), "cc-pool.1m.sh"),
    });
    expect(existsSync(join(xbarDefault(h), "cc-pool.1m.sh"))).toBe(true);
  });

  test("neither: an error that says how to get one, and nothing written", () => {
    const h = mac();
    const error = catchError(() => installWidget(h));
    expect(error.message).toContain("SwiftBar or xbar");
    expect(error.hint).toContain("brew install --cask swiftbar");
    expect(existsSync(join(h.home, "Library"))).toBe(false);
    expect(existsSync(h.ccpHome)).toBe(false);
  });

  test("--uninstall removes the plugin, keeps the folder's other plugins", () => {
    const h = mac();
    mkdirSync(swiftbarDefault(h), { recursive: true });
    writeFileSync(join(swiftbarDefault(h), "weather.5m.sh"), "#!/bin/sh\necho sun\n");
    installWidget(h);
    expect(uninstallWidget(h)).toEqual([join(swiftbarDefault(h), "cc-pool.1m.sh")]);
    expect(readdirSync(swiftbarDefault(h))).toEqual(["weather.5m.sh"]);
  });
});

describe("the ccp the scripts run", () => {
  test("from source: bun and the entry file", () => {
    expect(
      ccpCommand({ execPath: "/usr/bin/bun", mainPath: "/src/cc-pool/src/cli.ts", pathEnv: "" }),
    ).toEqual(["/usr/bin/bun", "/src/cc-pool/src/cli.ts"]);
  });

  test("Homebrew: the stable opt link, never the versioned Cellar path", () => {
    const prefix = tempDir("brew-");
    const cellarBin = join(prefix, "Cellar/cc-pool/0.1.0/bin");
    mkdirSync(cellarBin, { recursive: true });
    writeFileSync(join(cellarBin, "cc-pool"), "");
    mkdirSync(join(prefix, "opt"), { recursive: true });
    symlinkSync(join(prefix, "Cellar/cc-pool/0.1.0"), join(prefix, "opt/cc-pool"));
    const self = { execPath: join(cellarBin, "cc-pool"), mainPath: "/$bunfs/root/cc-pool", pathEnv: "" };
    expect(ccpCommand(self)).toEqual([join(prefix, "opt/cc-pool/bin/cc-pool")]);
    symlinkSync("cc-pool", join(cellarBin, "ccp"));
    expect(ccpCommand(self)).toEqual([join(prefix, "opt/cc-pool/bin/ccp")]);
  });

  test("otherwise a ccp on PATH that is this binary, else the binary beside it, else itself", () => {
    const root = tempDir("self-");
    mkdirSync(join(root, "real"), { recursive: true });
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "other"), { recursive: true });
    const binary = join(root, "real/cc-pool");
    writeFileSync(binary, "");
    writeFileSync(join(root, "other/ccp"), "");
    symlinkSync(binary, join(root, "bin/ccp"));
    const compiled = { execPath: binary, mainPath: "/$bunfs/root/cc-pool" };
    expect(ccpCommand({ ...compiled, pathEnv: `${join(root, "other")}:${join(root, "bin")}` })).toEqual([
      join(root, "bin/ccp"),
    ]);
    expect(ccpCommand({ ...compiled, pathEnv: join(root, "other") })).toEqual([binary]);
    symlinkSync("cc-pool", join(root, "real/ccp"));
    expect(ccpCommand({ ...compiled, pathEnv: join(root, "other") })).toEqual([join(root, "real/ccp")]);
  });
});
