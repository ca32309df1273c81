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
import { SHARED_BASE_DIRS } from "../../src/overlay/policy.ts";
import {
  checkOverlay,
  ensureBaseSharedDirs,
  syncOverlay,
  teardownOverlay,
} from "../../src/overlay/symlinks.ts";
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
      merged: [],
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
    expect(check.baseMissing).toEqual(["plans"]);
    expect(check.ok).toEqual(["todos"]);
    expect(check.missing).toEqual([
      "CLAUDE.md",
      "commands",
      "file-history",
      "history.jsonl",
      "plugins",
      "projects",
      "review-skill",
      "session-env",
      "sessions",
      "shell-snapshots",
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

  test("is healthy after a sync once the base has every shared dir", () => {
    syncOverlay({ baseDir: base.baseDir, accountDir });
    const withoutPlans = checkOverlay({ baseDir: base.baseDir, accountDir });
    expect(withoutPlans.baseMissing).toEqual(["plans"]);
    expect(withoutPlans.healthy).toBe(false);

    ensureBaseSharedDirs(base.baseDir);
    before = snapshotSacred(home);
    syncOverlay({ baseDir: base.baseDir, accountDir });
    const check = checkOverlay({ baseDir: base.baseDir, accountDir });
    expect(check.baseMissing).toEqual([]);
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

describe("ensureBaseSharedDirs", () => {
  test("on a fresh base creates exactly the missing shared dirs, empty and 0700, and nothing else", () => {
    setUp({ plans: false, sessionDirs: false });
    const lines = describeSacred(home);

    const result = ensureBaseSharedDirs(base.baseDir);

    expect(result.created.sort()).toEqual([
      "file-history",
      "plans",
      "session-env",
      "sessions",
      "shell-snapshots",
    ]);
    const added = describeSacred(home).filter((line) => !lines.includes(line));
    expect(added.sort()).toEqual(result.created.map((n) => `~/.claude/${n} dir 700`).sort());
    for (const name of result.created) expect(readdirSync(join(base.baseDir, name))).toEqual([]);
    expect(describeSacred(home).filter((line) => !added.includes(line))).toEqual(lines);
  });

  test("leaves existing dirs alone", () => {
    setUp();
    expect(ensureBaseSharedDirs(base.baseDir).created).toEqual([]);
    expectSacredUnchanged(home, before);
  });

  test("a missing ~/.claude is created (0700) with its shared dirs, and nothing else", () => {
    setUp({ dir: false, claudeJson: false });
    const result = ensureBaseSharedDirs(join(home, ".claude"));
    expect(result.createdBase).toBe(true);
    expect(result.base).toBe("present");
    expect(lstatSync(join(home, ".claude")).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(home, ".claude")).sort()).toEqual([...SHARED_BASE_DIRS].sort());
    expect(existsSync(join(home, ".claude.json"))).toBe(false);
  });

  test("never creates the home dir above ~/.claude", () => {
    const missingHome = join(makeTempHome(), "gone");
    expect(() => ensureBaseSharedDirs(join(missingHome, ".claude"))).toThrow(CcpError);
    expect(existsSync(missingHome)).toBe(false);
  });

  test("a file where a shared dir belongs is reported and kept", () => {
    setUp({ plans: false });
    writeFileSync(join(base.baseDir, "plans"), "x");
    symlinkSync(join(home, "nowhere"), join(base.baseDir, "sessions-x"));
    before = snapshotSacred(home);
    expect(ensureBaseSharedDirs(base.baseDir).blocked).toEqual(["plans"]);
    expectSacredUnchanged(home, before);
  });
});

describe("syncOverlay and the private list", () => {
  test("links an older cc-pool made to the base's .config.json and background-session files are removed", () => {
    setUp();
    writeFileSync(join(base.baseDir, ".config.json"), '{"oauthAccount":{"emailAddress":"base@example.com"}}');
    writeFileSync(join(base.baseDir, "daemon.log"), "plain claude's daemon\n");
    mkdirSync(join(base.baseDir, "jobs"));
    writeFileSync(join(base.baseDir, ".oauth_refresh.lock.owner"), "1");
    before = snapshotSacred(home);
    for (const name of [".config.json", "daemon.log", "jobs", ".oauth_refresh.lock.owner"]) {
      symlinkSync(join(base.baseDir, name), join(accountDir, name));
    }

    const report = syncOverlay({ baseDir: base.baseDir, accountDir });

    expect(report.removed.map((r) => r.name).sort()).toEqual([
      ".config.json",
      ".oauth_refresh.lock.owner",
      "daemon.log",
      "jobs",
    ]);
    for (const name of [".config.json", "daemon.log", "jobs", ".oauth_refresh.lock.owner"]) {
      expect(existsSync(join(accountDir, name))).toBe(false);
    }
    expect(report.created).not.toContain(".config.json");
    expectSacredUnchanged(home, before);
  });
});

describe("syncOverlay with mergeIntoBase", () => {
  function sync() {
    return syncOverlay({ baseDir: base.baseDir, accountDir }, { mergeIntoBase: true });
  }

  test("a real shared dir is merged into the base without overwriting, then linked", () => {
    setUp();
    const own = join(accountDir, "projects");
    mkdirSync(join(own, "-Users-me-code-app"), { recursive: true });
    mkdirSync(join(own, "-tmp-new", "memory"), { recursive: true });
    writeFileSync(join(own, "-Users-me-code-app", "bbbbbbbb.jsonl"), '{"type":"assistant"}\n', {
      mode: 0o600,
    });
    writeFileSync(join(own, "-tmp-new", "cccccccc.jsonl"), "new\n");
    // Same name, same bytes as the base's: a duplicate, dropped.
    writeFileSync(join(own, "-Users-me-code-app", "aaaaaaaa.jsonl"), '{"type":"user"}\n');

    const report = sync();

    expect(report.conflicts).toEqual([]);
    expect(report.merged).toEqual([
      { name: "projects", moved: 2, duplicates: 1, collisions: [], linked: true },
    ]);
    expect(readlinkSync(own)).toBe(join(base.baseDir, "projects"));
    const app = join(base.baseDir, "projects", "-Users-me-code-app");
    expect(readFileSync(join(app, "aaaaaaaa.jsonl"), "utf8")).toBe('{"type":"user"}\n');
    expect(readFileSync(join(app, "bbbbbbbb.jsonl"), "utf8")).toBe('{"type":"assistant"}\n');
    expect(lstatSync(join(app, "bbbbbbbb.jsonl")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(base.baseDir, "projects", "-tmp-new", "cccccccc.jsonl"), "utf8")).toBe("new\n");
    expect(existsSync(join(base.baseDir, "projects", "-tmp-new", "memory"))).toBe(true);
  });

  test("a name collision is reported and both files are kept; the rest is merged", () => {
    setUp();
    const own = join(accountDir, "projects", "-Users-me-code-app");
    mkdirSync(own, { recursive: true });
    writeFileSync(join(own, "aaaaaaaa.jsonl"), "the account's own version\n");
    writeFileSync(join(own, "dddddddd.jsonl"), "moved\n");
    const baseBefore = readFileSync(
      join(base.baseDir, "projects", "-Users-me-code-app", "aaaaaaaa.jsonl"),
      "utf8",
    );

    const report = sync();

    expect(report.merged[0]).toMatchObject({
      name: "projects",
      moved: 1,
      collisions: ["-Users-me-code-app/aaaaaaaa.jsonl"],
      linked: false,
    });
    expect(report.conflicts).toHaveLength(1);
    expect(report.conflicts[0]?.collisions).toEqual(["-Users-me-code-app/aaaaaaaa.jsonl"]);
    expect(report.conflicts[0]?.message).toContain("-Users-me-code-app/aaaaaaaa.jsonl");
    expect(readFileSync(join(own, "aaaaaaaa.jsonl"), "utf8")).toBe("the account's own version\n");
    expect(readFileSync(join(base.baseDir, "projects", "-Users-me-code-app", "aaaaaaaa.jsonl"), "utf8")).toBe(
      baseBefore,
    );
    expect(existsSync(join(own, "dddddddd.jsonl"))).toBe(false);
    expect(readFileSync(join(base.baseDir, "projects", "-Users-me-code-app", "dddddddd.jsonl"), "utf8")).toBe(
      "moved\n",
    );
    // Running again changes nothing more and still reports the collision.
    const again = sync();
    expect(again.conflicts.map((c) => c.name)).toEqual(["projects"]);
    expect(readFileSync(join(own, "aaaaaaaa.jsonl"), "utf8")).toBe("the account's own version\n");
  });

  test("history.jsonl an account wrote while the base had none moves into the base", () => {
    setUp();
    rmSync(join(base.baseDir, "history.jsonl"));
    before = snapshotSacred(home);
    writeFileSync(join(accountDir, "history.jsonl"), '{"display":"pooled"}\n');

    const report = sync();

    expect(report.merged).toEqual([
      { name: "history.jsonl", moved: 1, duplicates: 0, collisions: [], linked: true },
    ]);
    expect(readFileSync(join(base.baseDir, "history.jsonl"), "utf8")).toBe('{"display":"pooled"}\n');
    expect(readlinkSync(join(accountDir, "history.jsonl"))).toBe(join(base.baseDir, "history.jsonl"));
  });

  test("a real file where the base has one stays and is reported; private entries are never merged", () => {
    setUp();
    writeFileSync(join(accountDir, "settings.json"), '{"mine":true}');
    writeFileSync(join(accountDir, "history.jsonl"), "account history\n");
    mkdirSync(join(accountDir, "jobs"));
    mkdirSync(join(accountDir, "daemon"));
    writeFileSync(join(accountDir, "daemon.log"), "log\n");

    const report = sync();

    expect(report.merged).toEqual([]);
    expect(report.conflicts.map((c) => c.name).sort()).toEqual(["history.jsonl", "settings.json"]);
    expect(readFileSync(join(accountDir, "settings.json"), "utf8")).toBe('{"mine":true}');
    for (const name of ["jobs", "daemon", "daemon.log"])
      expect(lstatSync(join(accountDir, name)).isSymbolicLink()).toBe(false);
    expectSacredUnchanged(home, before);
  });

  test("links inside a real dir move as links; a dir where the base has a file is a collision", () => {
    setUp();
    const own = join(accountDir, "todos");
    mkdirSync(join(own, "nested", "deeper"), { recursive: true });
    writeFileSync(join(own, "nested", "deeper", "t.json"), "[]");
    symlinkSync("nested/deeper/t.json", join(own, "latest.json"));
    writeFileSync(join(base.baseDir, "todos", "clash"), "a file in the base");
    mkdirSync(join(own, "clash"));

    const report = sync();

    expect(report.merged[0]).toMatchObject({ name: "todos", collisions: ["clash"], linked: false });
    expect(readlinkSync(join(base.baseDir, "todos", "latest.json"))).toBe("nested/deeper/t.json");
    expect(readFileSync(join(base.baseDir, "todos", "nested", "deeper", "t.json"), "utf8")).toBe("[]");
    expect(readFileSync(join(base.baseDir, "todos", "clash"), "utf8")).toBe("a file in the base");
    expect(lstatSync(join(own, "clash")).isDirectory()).toBe(true);
  });

  test("without mergeIntoBase a real shared dir is only reported", () => {
    setUp();
    mkdirSync(join(accountDir, "sessions"));
    writeFileSync(join(accountDir, "sessions", "1.json"), "{}");
    const report = syncOverlay({ baseDir: base.baseDir, accountDir });
    expect(report.merged).toEqual([]);
    expect(report.conflicts.map((c) => c.name)).toEqual(["sessions"]);
    expectSacredUnchanged(home, before);
  });
});
