import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  assertAccountDir,
  assertInside,
  parseJsonBounded,
  readRegularFileBounded,
  removeInsideTree,
} from "../../src/fs/safe-path.ts";
import { tempDir } from "../helpers/cli.ts";

function tree(): { root: string; outside: string } {
  const top = tempDir("safe-");
  const root = join(top, "root");
  const outside = join(top, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, "keep"), "precious");
  return { root, outside };
}

describe("removeInsideTree", () => {
  test("deletes a tree but only unlinks the links inside it, never their targets", () => {
    const { root, outside } = tree();
    const dir = join(root, "acct-01");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub", "f"), "x");
    symlinkSync(outside, join(dir, "link-to-dir"));
    symlinkSync(join(outside, "keep"), join(dir, "sub", "link-to-file"));
    removeInsideTree(root, dir);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(join(outside, "keep"), "utf8")).toBe("precious");
  });

  test("a path that is itself a link is unlinked, not followed", () => {
    const { root, outside } = tree();
    symlinkSync(outside, join(root, "acct-01"));
    removeInsideTree(root, join(root, "acct-01"));
    expect(existsSync(join(outside, "keep"))).toBe(true);
  });

  test("refuses the root itself, paths outside it, and paths under a linked parent", () => {
    const { root, outside } = tree();
    expect(() => removeInsideTree(root, root)).toThrow(/not inside/);
    expect(() => removeInsideTree(root, join(outside, "keep"))).toThrow(/not inside/);
    expect(() => removeInsideTree(root, join(root, "..", "outside", "keep"))).toThrow(/not inside/);
    symlinkSync(outside, join(root, "linked"));
    expect(() => removeInsideTree(root, join(root, "linked", "keep"))).toThrow(/outside/);
    expect(existsSync(join(outside, "keep"))).toBe(true);
  });
});

describe("assertInside and assertAccountDir", () => {
  test("a path is judged with its links resolved, a missing one by its parent", () => {
    const { root, outside } = tree();
    expect(() => assertInside(root, join(root, "new", "file"))).not.toThrow();
    symlinkSync(outside, join(root, "esc"));
    expect(() => assertInside(root, join(root, "esc", "new"))).toThrow(/outside/);
  });

  test("an account dir must be a real dir directly inside the accounts dir", () => {
    const { root, outside } = tree();
    mkdirSync(join(root, "acct-01"));
    expect(assertAccountDir(root, join(root, "acct-01"))).toBe("ok");
    expect(assertAccountDir(root, join(root, "acct-02"))).toBe("missing");
    symlinkSync(outside, join(root, "acct-03"));
    expect(() => assertAccountDir(root, join(root, "acct-03"))).toThrow(/symbolic link/);
    writeFileSync(join(root, "acct-04"), "");
    expect(() => assertAccountDir(root, join(root, "acct-04"))).toThrow(/not a directory/);
    expect(() => assertAccountDir(root, outside)).toThrow(/not inside/);
  });
});

describe("bounded reads", () => {
  test("a FIFO is refused without blocking; a missing file is undefined; size is bounded", () => {
    const dir = tempDir("read-");
    const fifo = join(dir, "fifo");
    Bun.spawnSync(["mkfifo", fifo]);
    expect(() => readRegularFileBounded(fifo, 100)).toThrow(/FIFO/);
    expect(readRegularFileBounded(join(dir, "none"), 100)).toBeUndefined();
    writeFileSync(join(dir, "big"), Buffer.alloc(101));
    expect(() => readRegularFileBounded(join(dir, "big"), 100)).toThrow(/larger than/);
    writeFileSync(join(dir, "ok"), "hello");
    expect(readRegularFileBounded(join(dir, "ok"), 5)?.toString()).toBe("hello");
  });

  test("deep JSON is refused naming the file; brackets inside strings do not count", () => {
    expect(() => parseJsonBounded(`${"[".repeat(300)}${"]".repeat(300)}`, { source: "/x.json" })).toThrow(
      "/x.json cannot be read: nested deeper than 256 levels.",
    );
    expect(parseJsonBounded(JSON.stringify({ s: "[".repeat(1000), t: '\\"[' }), { source: "x" })).toEqual({
      s: "[".repeat(1000),
      t: '\\"[',
    });
    expect(() => parseJsonBounded("{", { source: "/y.json" })).toThrow(
      /\/y\.json cannot be read: not valid JSON/,
    );
  });
});
