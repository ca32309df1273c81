import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { checkOverlay, ensureBasePlans, syncOverlay, teardownOverlay } from "../../src/overlay/symlinks.ts";
import {
  type Base,
  describeSacred,
  expectSacredUnchanged,
  makeBase,
  makeTempHome,
  PROJECTED_BASE_NAMES,
  snapshotSacred,
} from "../helpers/sacred.ts";

let home: string;
let base: Base;
let accountDir: string;
let before: string;

function setUp(opts: Parameters<typeof makeBase>[1] = {}): void {
  home = makeTempHome();
  base = makeBase(home, opts);
  accountDir = join(home, ".cc-pool", "accounts", "acct-01");
  mkdirSync(accountDir, { recursive: true, mode: 0o700 });
  before = snapshotSacred(home);
}

function links(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(accountDir).sort()) {
    const path = join(accountDir, name);
    if (lstatSync(path).isSymbolicLink()) out[name] = readlinkSync(path);
  }
  return out;
}

function expectedLinks(names: readonly string[] = PROJECTED_BASE_NAMES): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, join(base.baseDir, name)]));
}

describe("syncOverlay", () => {
  beforeEach(() => setUp());
  afterEach(() => expectSacredUnchanged(home, before));

  test("links every shared top-level entry with an absolute target", () => {
    const report = syncOverlay({ baseDir: base.baseDir, accountDir });
    expect(report.base).toBe("present");
    expect(report.created).toEqual([...PROJECTED_BASE_NAMES]);
    expect(report.conflicts).toEqual([]);
    expect(links()).toEqual(expectedLinks());
    // Writes pass straight through to the base: the link reads the base's bytes.
    expect(readFileSync(join(accountDir, "settings.json"), "utf8")).toContain('"model": "opus"');
    expect(existsSync(join(accountDir, "projects", "-Users-me-code-app", "aaaaaaaa.jsonl"))).toBe(true);
  });

  test("never links private entries or Finder litter", () => {
    syncOverlay({ baseDir: base.baseDir, accountDir });
    const names = readdirSync(accountDir);
    for (const name of [
      ".DS_Store",
      "._settings.json",
      "ide",
      "daemon",
      ".credentials.json",
      "stats-cache.json",
      "settings.json.tmp.123.456",
      ".oauth_refresh.lock",
    ]) {
      expect(names).not.toContain(name);
    }
  });

  test("is idempotent: a second run changes nothing and reports everything ok", () => {
    syncOverlay({ baseDir: base.baseDir, accountDir });
    const inode = lstatSync(join(accountDir, "settings.json")).ino;
    const report = syncOverlay({ baseDir: base.baseDir, accountDir });
    expect(report.created).toEqual([]);
    expect(report.fixed).toEqual([]);
    expect(report.removed).toEqual([]);
    expect(report.ok).toEqual([...PROJECTED_BASE_NAMES]);
    expect(lstatSync(join(accountDir, "settings.json")).ino).toBe(inode);
  });

  test("a real file or dir in the way is reported, untouched, and the rest still get linked", () => {
    writeFileSync(join(accountDir, "settings.json"), '{"mine":true}');
    mkdirSync(join(accountDir, "projects"));
    writeFileSync(join(accountDir, "projects", "keep.jsonl"), "keep\n");

    const report = syncOverlay({ baseDir: base.baseDir, accountDir });

    expect(report.conflicts.map(({ name, path, kind }) => ({ name, path, kind }))).toEqual([
      { name: "projects", path: join(accountDir, "projects"), kind: "directory" },
      { name: "settings.json", path: join(accountDir, "settings.json"), kind: "file" },
    ]);
    expect(report.conflicts[1]?.message).toContain(join(accountDir, "settings.json"));
    expect(readFileSync(join(accountDir, "settings.json"), "utf8")).toBe('{"mine":true}');
    expect(readFileSync(join(accountDir, "projects", "keep.jsonl"), "utf8")).toBe("keep\n");
    const rest = PROJECTED_BASE_NAMES.filter((n) => n !== "settings.json" && n !== "projects");
    expect(report.created).toEqual(rest);
    expect(links()).toEqual(expectedLinks(rest));
  });

  test("a link pointing elsewhere is repointed at the base entry", () => {
    const elsewhere = join(home, "elsewhere.json");
    writeFileSync(elsewhere, "{}");
    symlinkSync(elsewhere, join(accountDir, "settings.json"));
    symlinkSync("../../../.claude/skills", join(accountDir, "skills"));

    const report = syncOverlay({ baseDir: base.baseDir, accountDir });

    expect(report.fixed).toEqual([
      { name: "settings.json", previousTarget: elsewhere },
      { name: "skills", previousTarget: "../../../.claude/skills" },
    ]);
    expect(links()).toEqual(expectedLinks());
    expect(readFileSync(elsewhere, "utf8")).toBe("{}");
    expect(readdirSync(accountDir).filter((n) => n.includes(".tmp."))).toEqual([]);
  });

  test("links into the base whose entry is gone, or is private, are removed", () => {
    symlinkSync(join(base.baseDir, "vanished"), join(accountDir, "vanished"));
    symlinkSync(join(base.baseDir, "ide"), join(accountDir, "ide"));
    symlinkSync(join(base.baseDir, ".credentials.json"), join(accountDir, ".credentials.json"));
    symlinkSync(join(base.baseDir, ".DS_Store"), join(accountDir, ".DS_Store"));

    const report = syncOverlay({ baseDir: base.baseDir, accountDir });

    expect(report.removed.map((r) => r.name)).toEqual(
      [".credentials.json", ".DS_Store", "ide", "vanished"].sort(),
    );
    expect(report.removed.find((r) => r.name === "vanished")?.previousTarget).toBe(
      join(base.baseDir, "vanished"),
    );
    expect(links()).toEqual(expectedLinks());
    // The base's own private entries are still there: only the links went.
    expect(existsSync(join(base.baseDir, "ide", "4242.lock"))).toBe(true);
    expect(existsSync(join(base.baseDir, ".credentials.json"))).toBe(true);
  });

  test("a link pointing outside the base with no base entry is left alone and reported", () => {
    const mine = join(home, "my-notes");
    mkdirSync(mine);
    symlinkSync(mine, join(accountDir, "notes"));
    symlinkSync(join(home, ".claude-other", "x"), join(accountDir, "lookalike"));

    const report = syncOverlay({ baseDir: base.baseDir, accountDir });

    expect(report.foreign).toEqual([
      { name: "lookalike", path: join(accountDir, "lookalike"), target: join(home, ".claude-other", "x") },
      { name: "notes", path: join(accountDir, "notes"), target: mine },
    ]);
    expect(report.removed).toEqual([]);
    expect(readlinkSync(join(accountDir, "notes"))).toBe(mine);
    expect(readlinkSync(join(accountDir, "lookalike"))).toBe(join(home, ".claude-other", "x"));
  });

  test("the account's own private files are left exactly as they are", () => {
    writeFileSync(join(accountDir, ".claude.json"), '{"own":true}', { mode: 0o600 });
    writeFileSync(join(accountDir, ".credentials.json"), '{"own":true}', { mode: 0o600 });
    mkdirSync(join(accountDir, "ide"));

    const report = syncOverlay({ baseDir: base.baseDir, accountDir });

    expect(report.conflicts).toEqual([]);
    expect(readFileSync(join(accountDir, ".credentials.json"), "utf8")).toBe('{"own":true}');
    expect(readFileSync(join(accountDir, ".claude.json"), "utf8")).toBe('{"own":true}');
    expect(lstatSync(join(accountDir, "ide")).isDirectory()).toBe(true);
  });

  test("an account dir that does not exist is an error and is not created", () => {
    rmSync(accountDir, { recursive: true });
    expect(() => syncOverlay({ baseDir: base.baseDir, accountDir })).toThrow(CcpError);
    expect(existsSync(accountDir)).toBe(false);
  });
});

describe("syncOverlay picks up new base entries", () => {
  test("a top-level entry added to the base is linked at the next sync", () => {
    setUp();
    syncOverlay({ baseDir: base.baseDir, accountDir });
    mkdirSync(join(base.baseDir, "agents"));
    before = snapshotSacred(home);

    const report = syncOverlay({ baseDir: base.baseDir, accountDir });

    expect(report.created).toEqual(["agents"]);
    expect(readlinkSync(join(accountDir, "agents"))).toBe(join(base.baseDir, "agents"));
    expectSacredUnchanged(home, before);
  });
});

describe("syncOverlay without a usable base", () => {
  test("a missing ~/.claude projects nothing and is not created", () => {
    setUp({ dir: false });
    symlinkSync(join(home, ".claude", "settings.json"), join(accountDir, "settings.json"));

    const report = syncOverlay({ baseDir: join(home, ".claude"), accountDir });

    expect(report).toEqual({
      base: "missing",
      created: [],
      fixed: [],
      removed: [],
      conflicts: [],
      foreign: [],
      ok: [],
    });
    expect(existsSync(join(home, ".claude"))).toBe(false);
    expect(readdirSync(accountDir)).toEqual(["settings.json"]);
    expectSacredUnchanged(home, before);
  });

  test("a ~/.claude that is a file is reported, not used", () => {
    home = makeTempHome();
    writeFileSync(join(home, ".claude"), "not a dir");
    accountDir = join(home, "acct");
    mkdirSync(accountDir);
    before = snapshotSacred(home);

    const report = syncOverlay({ baseDir: join(home, ".claude"), accountDir });

    expect(report.base).toBe("not-a-directory");
    expect(readdirSync(accountDir)).toEqual([]);
    expectSacredUnchanged(home, before);
  });
});

describe("checkOverlay", () => {
  beforeEach(() => setUp({ plans: false }));
  afterEach(() => expectSacredUnchanged(home, before));

  test("reports every kind of drift and changes nothing", () => {
    writeFileSync(join(accountDir, "settings.json"), "{}");
    symlinkSync(join(home, "x"), join(accountDir, "skills"));
    symlinkSync(join(base.baseDir, "gone"), join(accountDir, "gone"));
    symlinkSync(join(home, "mine"), join(accountDir, "mine"));
    symlinkSync(join(base.baseDir, "todos"), join(accountDir, "todos"));
    const listing = JSON.stringify(links());

    const check = checkOverlay({ baseDir: base.baseDir, accountDir });

    expect(check.base).toBe("present");
    expect(check.account).toBe("present");
    expect(check.basePlans).toBe("missing");
    expect(check.ok).toEqual(["todos"]);
    expect(check.missing).toEqual([
      "CLAUDE.md",
      "commands",
      "history.jsonl",
      "plugins",
      "projects",
      "review-skill",
    ]);
    expect(check.wrong).toEqual([
      {
        name: "skills",
        path: join(accountDir, "skills"),
        target: join(home, "x"),
        expected: join(base.baseDir, "skills"),
      },
    ]);
    expect(check.stale).toEqual([
      { name: "gone", path: join(accountDir, "gone"), target: join(base.baseDir, "gone") },
    ]);
    expect(check.conflicts.map((c) => [c.name, c.kind])).toEqual([["settings.json", "file"]]);
    expect(check.foreign.map((f) => f.name)).toEqual(["mine"]);
    expect(check.healthy).toBe(false);
    expect(JSON.stringify(links())).toBe(listing);
    expect(readFileSync(join(accountDir, "settings.json"), "utf8")).toBe("{}");
  });

  test("is healthy after a sync once the base has plans/", () => {
    syncOverlay({ baseDir: base.baseDir, accountDir });
    const withoutPlans = checkOverlay({ baseDir: base.baseDir, accountDir });
    expect(withoutPlans.basePlans).toBe("missing");
    expect(withoutPlans.healthy).toBe(false);

    ensureBasePlans(base.baseDir);
    before = snapshotSacred(home);
    syncOverlay({ baseDir: base.baseDir, accountDir });
    const check = checkOverlay({ baseDir: base.baseDir, accountDir });
    expect(check.basePlans).toBe("present");
    expect(check.ok).toContain("plans");
    expect(check.healthy).toBe(true);
  });

  test("a missing account dir is reported, not created", () => {
    rmSync(accountDir, { recursive: true });
    const check = checkOverlay({ baseDir: base.baseDir, accountDir });
    expect(check.account).toBe("missing");
    expect(check.healthy).toBe(false);
    expect(existsSync(accountDir)).toBe(false);
  });
});

describe("teardownOverlay", () => {
  beforeEach(() => setUp());
  afterEach(() => expectSacredUnchanged(home, before));

  test("removes only links into the base, without following them", () => {
    syncOverlay({ baseDir: base.baseDir, accountDir });
    symlinkSync(join(base.baseDir, "vanished"), join(accountDir, "vanished"));
    symlinkSync(join(home, "mine"), join(accountDir, "mine"));
    writeFileSync(join(accountDir, ".claude.json"), "{}");
    mkdirSync(join(accountDir, "ide"));

    const result = teardownOverlay({ baseDir: base.baseDir, accountDir });

    expect(result.removed).toEqual([...PROJECTED_BASE_NAMES, "vanished"].sort());
    expect(result.kept).toEqual([
      { name: "mine", path: join(accountDir, "mine"), target: join(home, "mine") },
    ]);
    expect(readdirSync(accountDir).sort()).toEqual([".claude.json", "ide", "mine"]);
    // The base's trees behind the links are intact (checked in full by the sacred snapshot).
    expect(existsSync(join(base.baseDir, "projects", "-Users-me-code-app", "aaaaaaaa.jsonl"))).toBe(true);
  });

  test("a missing account dir removes nothing", () => {
    rmSync(accountDir, { recursive: true });
    expect(teardownOverlay({ baseDir: base.baseDir, accountDir })).toEqual({ removed: [], kept: [] });
  });
});

describe("ensureBasePlans", () => {
  test("creates an empty plans/ and nothing else in the base", () => {
    setUp({ plans: false });
    const lines = describeSacred(home);

    expect(ensureBasePlans(base.baseDir)).toBe("created");

    const added = describeSacred(home).filter((line) => !lines.includes(line));
    expect(added).toHaveLength(1);
    expect(added[0]).toStartWith("~/.claude/plans dir");
    expect(readdirSync(join(base.baseDir, "plans"))).toEqual([]);
    expect(describeSacred(home).filter((line) => !added.includes(line))).toEqual(lines);
  });

  test("leaves an existing plans/ alone", () => {
    setUp();
    expect(ensureBasePlans(base.baseDir)).toBe("present");
    expectSacredUnchanged(home, before);
  });

  test("never creates ~/.claude itself", () => {
    setUp({ dir: false });
    expect(ensureBasePlans(join(home, ".claude"))).toBe("no-base");
    expect(existsSync(join(home, ".claude"))).toBe(false);
    expectSacredUnchanged(home, before);
  });

  test("a plans file is reported and kept", () => {
    setUp({ plans: false });
    writeFileSync(join(base.baseDir, "plans"), "x");
    before = snapshotSacred(home);
    expect(ensureBasePlans(base.baseDir)).toBe("not-a-directory");
    expectSacredUnchanged(home, before);
  });
});
