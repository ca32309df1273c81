import { beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  describeSacred,
  expectSacredUnchanged,
  makeBase,
  makeTempHome,
  snapshotSacred,
} from "../helpers/sacred.ts";

// The guard every overlay test relies on must itself notice each kind of write.
describe("sacred base snapshot", () => {
  let home: string;
  let before: string;

  beforeEach(() => {
    home = makeTempHome();
    makeBase(home);
    before = snapshotSacred(home);
  });

  test("reading the base leaves the digest alone", () => {
    readFileSync(join(home, ".claude", "settings.json"));
    readFileSync(join(home, ".claude.json"));
    expect(snapshotSacred(home)).toBe(before);
    expectSacredUnchanged(home, before);
  });

  test("a changed file deep in the tree changes the digest", () => {
    writeFileSync(join(home, ".claude", "projects", "-Users-me-code-app", "aaaaaaaa.jsonl"), "x\n");
    expect(snapshotSacred(home)).not.toBe(before);
    expect(() => expectSacredUnchanged(home, before)).toThrow();
  });

  test("a rewrite with identical bytes is still a write", () => {
    const path = join(home, ".claude.json");
    const text = readFileSync(path);
    writeFileSync(path, text);
    utimesSync(path, new Date(1_000_000), new Date(1_000_000));
    expect(snapshotSacred(home)).not.toBe(before);
  });

  test("mode, symlink target, a new entry and a removed ~/.claude.json each count", () => {
    chmodSync(join(home, ".claude", "settings.json"), 0o600);
    const afterChmod = snapshotSacred(home);
    expect(afterChmod).not.toBe(before);

    unlinkSync(join(home, ".claude", "review-skill"));
    symlinkSync("skills", join(home, ".claude", "review-skill"));
    const afterRelink = snapshotSacred(home);
    expect(afterRelink).not.toBe(afterChmod);

    writeFileSync(join(home, ".claude", "new.txt"), "");
    const afterAdd = snapshotSacred(home);
    expect(afterAdd).not.toBe(afterRelink);

    rmSync(join(home, ".claude.json"));
    expect(snapshotSacred(home)).not.toBe(afterAdd);
    expect(describeSacred(home)).toContain("~/.claude.json absent");
  });

  test("the failure names the entry that changed", () => {
    writeFileSync(join(home, ".claude", "CLAUDE.md"), "changed\n");
    let message = "";
    try {
      expectSacredUnchanged(home, before);
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain("~/.claude/CLAUDE.md file");
  });

  test("makeBase builds both halves of the base", () => {
    const lines = describeSacred(home);
    expect(lines.some((l) => l.startsWith("~/.claude dir 700"))).toBe(true);
    expect(lines.some((l) => l.startsWith("~/.claude.json file 600"))).toBe(true);
    expect(lines.some((l) => l.startsWith("~/.claude/review-skill link"))).toBe(true);
  });
});
