// Test harness for the Keychain stand-ins: builds fake-security.c once per source version into
// tests/.build, wraps the fake `security` tool in an executable, and gives tests direct access to
// the shared item store, the touched-service log and the live CF object counter.
import { dlopen } from "bun:ffi";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileStandIn } from "./compile.ts";

const NATIVE_DIR = import.meta.dir;
const TOOL_SCRIPT = join(NATIVE_DIR, "fake-security-tool.ts");

export interface FakeKeychainBuild {
  /** The stand-in for both Security.framework and CoreFoundation. */
  libPath: string;
}

/** Compiles the C stand-in into tests/.build, cached by source hash. */
export function buildFakeKeychain(): FakeKeychainBuild {
  return { libPath: compileStandIn("fake-security") };
}

export interface TouchEvent {
  source: "lib" | "tool";
  op: string;
  service: string;
}

export interface FakeKeychain extends FakeKeychainBuild {
  dir: string;
  /** An executable stand-in for /usr/bin/security bound to this store. */
  toolPath: string;
  liveObjects(): number;
  /** Handles the library was given that it never issued (or had released): must stay 0. */
  badHandles(): number;
  /** Whether SecKeychainSetUserInteractionAllowed(false) is in force in this process. */
  interactionAllowed(): boolean;
  /** Locks or unlocks the whole keychain (library and tool). */
  setLocked(locked: boolean): void;
  /** A GUI session: the tool shows (and waits on) an unlock dialog for a locked keychain. */
  setGuiSession(gui: boolean): void;
  events(): TouchEvent[];
  toolRuns(): { pid: number; argv: string[] }[];
  putItem(service: string, account: string, data: string | Uint8Array, flags?: string[]): void;
  setFlags(service: string, account: string, flags: string[]): void;
  itemData(service: string, account: string): Buffer | undefined;
  items(): { service: string; account: string }[];
  /** Points the in-process library at another item dir ("" leaves it with none). */
  setLibraryDir(dir: string): void;
  /** Empties the store and the logs, and unlocks the keychain. */
  reset(): void;
  dispose(): void;
}

const hex = (text: string): string => Buffer.from(text, "utf8").toString("hex");

/**
 * A fresh item store in a temp dir, wired to the in-process library with fake_set_dir (Bun's
 * process.env reaches neither a native getenv nor Bun.spawn's default environment) and to the
 * tool through a wrapper script that sets FAKE_KEYCHAIN_DIR itself.
 */
export function openFakeKeychain(build: FakeKeychainBuild = buildFakeKeychain()): FakeKeychain {
  const dir = mkdtempSync(join(process.env.CCP_TEST_ROOT ?? tmpdir(), "fake-keychain-"));
  const hooks = dlopen(build.libPath, {
    fake_live_objects: { args: [], returns: "i64" },
    fake_bad_handles: { args: [], returns: "i64" },
    fake_interaction_allowed: { args: [], returns: "i32" },
    fake_set_dir: { args: ["ptr"], returns: "void" },
  }).symbols;
  hooks.fake_set_dir(Buffer.from(`${dir}\0`));
  const toolDir = mkdtempSync(join(process.env.CCP_TEST_ROOT ?? tmpdir(), "fake-security-bin-"));
  const toolPath = join(toolDir, "security");
  writeFileSync(
    toolPath,
    `#!/bin/sh\nFAKE_KEYCHAIN_DIR='${dir}' exec '${process.execPath}' '${TOOL_SCRIPT}' "$@"\n`,
    { mode: 0o755 },
  );
  chmodSync(toolPath, 0o755);
  const base = (service: string, account: string): string => join(dir, `${hex(service)}_${hex(account)}`);
  const readLog = (name: string): string[] => {
    const path = join(dir, name);
    return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
  };
  return {
    ...build,
    dir,
    toolPath,
    liveObjects: () => Number(hooks.fake_live_objects()),
    badHandles: () => Number(hooks.fake_bad_handles()),
    interactionAllowed: () => hooks.fake_interaction_allowed() !== 0,
    setLocked(locked) {
      if (locked) writeFileSync(join(dir, "keychain-locked"), "");
      else rmSync(join(dir, "keychain-locked"), { force: true });
    },
    setGuiSession(gui) {
      if (gui) writeFileSync(join(dir, "gui-session"), "");
      else rmSync(join(dir, "gui-session"), { force: true });
    },
    events: () =>
      readLog("touched.log").map((line) => {
        const [source, op, ...service] = line.split(" ");
        return { source: source as "lib" | "tool", op: op ?? "", service: service.join(" ") };
      }),
    toolRuns: () =>
      readLog("tool-argv.log").map((line) => JSON.parse(line) as { pid: number; argv: string[] }),
    putItem(service, account, data, flags = []) {
      writeFileSync(`${base(service, account)}.item`, data);
      if (flags.length > 0) writeFileSync(`${base(service, account)}.flags`, flags.join(" "));
    },
    setFlags(service, account, flags) {
      writeFileSync(`${base(service, account)}.flags`, flags.join(" "));
    },
    itemData(service, account) {
      const path = `${base(service, account)}.item`;
      return existsSync(path) ? readFileSync(path) : undefined;
    },
    items() {
      return readdirSync(dir)
        .filter((name) => name.endsWith(".item"))
        .map((name) => {
          const [s, a] = name.slice(0, -5).split("_");
          return {
            service: Buffer.from(s ?? "", "hex").toString(),
            account: Buffer.from(a ?? "", "hex").toString(),
          };
        });
    },
    setLibraryDir(other) {
      hooks.fake_set_dir(Buffer.from(`${other}\0`));
    },
    reset() {
      for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
      rmSync(toolDir, { recursive: true, force: true });
    },
  };
}
