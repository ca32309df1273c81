import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  ALIAS_BEGIN_MARKER,
  ALIAS_END_MARKER,
  detectAlias,
  installAlias,
  removeAlias,
} from "../../src/app/alias.ts";
import { CcpError } from "../../src/errors.ts";
import { expectSacredUnchanged, makeBase, makeTempHome, snapshotSacred } from "../helpers/sacred.ts";

let home: string;
let before: string;

beforeEach(() => {
  home = makeTempHome();
  makeBase(home);
  before = snapshotSacred(home);
});
afterEach(() => expectSacredUnchanged(home, before));

const zsh = () => ({ home, shell: "/bin/zsh" });
const read = (path: string) => readFileSync(path, "utf8");

describe("installAlias", () => {
  test("zsh: appends the marked alias to ~/.zshrc, keeping its content and mode", () => {
    const rc = join(home, ".zshrc");
    writeFileSync(rc, "export PATH=$HOME/bin:$PATH\n");
    chmodSync(rc, 0o600);

    expect(installAlias(zsh())).toEqual({ kind: "added", rcFile: rc });

    expect(read(rc)).toBe(
      `export PATH=$HOME/bin:$PATH\n\n${ALIAS_BEGIN_MARKER}\nalias claude='ccp run'\n${ALIAS_END_MARKER}\n`,
    );
    expect(statSync(rc).mode & 0o777).toBe(0o600);
    expect(readdirSync(home).filter((n) => n.includes(".tmp."))).toEqual([]);
  });

  test("a file without a trailing newline gets one before the block", () => {
    const rc = join(home, ".zshrc");
    writeFileSync(rc, "setopt autocd");
    installAlias(zsh());
    expect(read(rc)).toStartWith(`setopt autocd\n\n${ALIAS_BEGIN_MARKER}\n`);
  });

  test("creates a missing rc file", () => {
    expect(installAlias(zsh()).kind).toBe("added");
    expect(read(join(home, ".zshrc"))).toBe(
      `${ALIAS_BEGIN_MARKER}\nalias claude='ccp run'\n${ALIAS_END_MARKER}\n`,
    );
  });

  test("is idempotent: with the marker present nothing is written", () => {
    installAlias(zsh());
    const rc = join(home, ".zshrc");
    const bytes = read(rc);
    const ino = statSync(rc).ino;

    expect(installAlias(zsh())).toEqual({ kind: "present", rcFile: rc });
    expect(read(rc)).toBe(bytes);
    expect(statSync(rc).ino).toBe(ino);
  });

  test("bash uses ~/.bashrc on Linux and ~/.bash_profile on macOS", () => {
    const linux = installAlias({ home, shell: "/usr/bin/bash", platform: "linux" });
    expect(linux).toEqual({ kind: "added", rcFile: join(home, ".bashrc") });
    expect(read(join(home, ".bashrc"))).toContain("alias claude='ccp run'\n");
    expect(existsSync(join(home, ".bash_profile"))).toBe(false);

    const mac = installAlias({ home, shell: "/opt/homebrew/bin/bash", platform: "darwin" });
    expect(mac).toEqual({ kind: "added", rcFile: join(home, ".bash_profile") });
    expect(read(join(home, ".bash_profile"))).toContain("alias claude='ccp run'\n");
  });

  test("fish: fish syntax in ~/.config/fish/config.fish, creating the folders", () => {
    const rc = join(home, ".config", "fish", "config.fish");
    expect(installAlias({ home, shell: "/usr/local/bin/fish" })).toEqual({ kind: "added", rcFile: rc });
    expect(read(rc)).toBe(`${ALIAS_BEGIN_MARKER}\nalias claude 'ccp run'\n${ALIAS_END_MARKER}\n`);
  });

  test.each([
    ["zsh alias", "zsh", ".zshrc", "alias claude='claude --verbose'"],
    ["zsh indented alias", "zsh", ".zshrc", '  alias claude="npx claude"'],
    ["zsh function", "zsh", ".zshrc", 'claude() { command claude --model opus "$@"; }'],
    ["zsh function keyword", "zsh", ".zshrc", 'function claude {\n  command claude "$@"\n}'],
    ["conditional alias", "zsh", ".zshrc", "[ -x ~/bin/c ] && alias claude=~/bin/c"],
    ["fish alias", "fish", ".config/fish/config.fish", "alias claude 'claude --verbose'"],
    ["fish function", "fish", ".config/fish/config.fish", "function claude\n  command claude $argv\nend"],
  ])("an existing claude definition is respected: %s", (_label, shell, rcName, definition) => {
    const rc = join(home, rcName);
    mkdirSync(join(rc, ".."), { recursive: true });
    const content = `# my config\n${definition}\n`;
    writeFileSync(rc, content);

    const result = installAlias({ home, shell: `/bin/${shell}` });

    expect(result.kind).toBe("conflict");
    expect(result.kind === "conflict" && result.rcFile).toBe(rc);
    expect(result.kind === "conflict" && result.detail).toContain("claude");
    expect(read(rc)).toBe(content);
  });

  test.each([
    "# alias claude='old'",
    "alias claudex='something'",
    "alias cl='claude'",
    "export CLAUDE_HOME=1",
    "claude-code() { :; }",
  ])("a line that does not define claude is no conflict: %s", (line) => {
    writeFileSync(join(home, ".zshrc"), `${line}\n`);
    expect(installAlias(zsh()).kind).toBe("added");
  });

  test.each([["/bin/tcsh"], ["/usr/bin/nu"], [""], [undefined]])(
    "unsupported shell %s writes nothing",
    (shell) => {
      const listing = readdirSync(home).sort();
      expect(installAlias({ home, shell })).toEqual({ kind: "unsupported-shell", shell });
      expect(readdirSync(home).sort()).toEqual(listing);
    },
  );

  test("a symlinked rc file is written through, keeping the link", () => {
    const real = join(home, "dotfiles", "zshrc");
    mkdirSync(join(home, "dotfiles"));
    writeFileSync(real, "alias ll='ls -l'\n");
    symlinkSync(real, join(home, ".zshrc"));

    expect(installAlias(zsh()).kind).toBe("added");

    expect(lstatSync(join(home, ".zshrc")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(home, ".zshrc"))).toBe(real);
    expect(read(real)).toContain("alias claude='ccp run'");
  });

  test("a dangling rc symlink is an error, not replaced", () => {
    symlinkSync(join(home, "gone", "zshrc"), join(home, ".zshrc"));
    expect(() => installAlias(zsh())).toThrow(CcpError);
    expect(lstatSync(join(home, ".zshrc")).isSymbolicLink()).toBe(true);
  });
});

describe("detectAlias", () => {
  test("reports absent, present, conflict and unsupported without writing", () => {
    const rc = join(home, ".zshrc");
    expect(detectAlias(zsh())).toEqual({ kind: "absent", rcFile: rc });
    expect(existsSync(rc)).toBe(false);

    installAlias(zsh());
    expect(detectAlias(zsh())).toEqual({ kind: "present", rcFile: rc });

    writeFileSync(rc, "alias claude='x'\n");
    expect(detectAlias(zsh())).toEqual({ kind: "conflict", rcFile: rc, detail: "alias claude='x'" });
    expect(read(rc)).toBe("alias claude='x'\n");

    expect(detectAlias({ home, shell: "/bin/csh" })).toEqual({
      kind: "unsupported-shell",
      shell: "/bin/csh",
    });
  });
});

describe("removeAlias", () => {
  test("install then remove restores the file byte for byte", () => {
    const rc = join(home, ".zshrc");
    const original = "export A=1\nalias ll='ls -l'\n";
    writeFileSync(rc, original);
    installAlias(zsh());

    expect(removeAlias(zsh())).toEqual({ kind: "removed", rcFile: rc });
    expect(read(rc)).toBe(original);
    expect(detectAlias(zsh()).kind).toBe("absent");
  });

  test("removes only the marked block; lines the user added after it stay", () => {
    const rc = join(home, ".config", "fish", "config.fish");
    installAlias({ home, shell: "/usr/bin/fish" });
    writeFileSync(rc, `set -x A 1\n${read(rc)}abbr g git\n`);

    removeAlias({ home, shell: "/usr/bin/fish" });

    expect(read(rc)).toBe("set -x A 1\nabbr g git\n");
  });

  test("a block whose end marker was deleted loses only the marker and our alias line", () => {
    const rc = join(home, ".zshrc");
    writeFileSync(rc, `a\n${ALIAS_BEGIN_MARKER}\nalias claude='ccp run'\nb\n`);
    removeAlias(zsh());
    expect(read(rc)).toBe("a\nb\n");
  });

  test("without our block nothing is written, even next to the user's own alias", () => {
    const rc = join(home, ".zshrc");
    writeFileSync(rc, "alias claude='mine'\n");
    const ino = statSync(rc).ino;
    expect(removeAlias(zsh())).toEqual({ kind: "absent", rcFile: rc });
    expect(read(rc)).toBe("alias claude='mine'\n");
    expect(statSync(rc).ino).toBe(ino);
    expect(removeAlias({ home, shell: undefined })).toEqual({ kind: "unsupported-shell", shell: undefined });
  });
});
