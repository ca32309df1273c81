// The two-way `.claude.json` merge: what an account changes flows back into ~/.claude.json, what
// the base changes flows in, identity and per-account state never move, and the base is written
// only under Claude Code's lock, atomically, with its mode kept.
import { beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { mergeShareableKeys, readFlowHistory } from "../../src/overlay/claude-json.ts";
import { BASE_PROJECT, type Base, makeBase, makeTempHome } from "../helpers/sacred.ts";

type Json = Record<string, unknown>;

let home: string;
let base: Base;
let accountA: string;
let accountB: string;

function jsonPath(dir: string): string {
  return join(dir, ".claude.json");
}

function read(path: string): Json {
  return JSON.parse(readFileSync(path, "utf8")) as Json;
}

function write(path: string, value: Json, mode = 0o600): void {
  writeFileSync(path, JSON.stringify(value, null, 2), { mode });
}

/** Changes an account's file as a running claude would: read, modify, temp file + rename. */
function edit(path: string, change: (config: Json) => void): void {
  const config = read(path);
  change(config);
  write(`${path}.tmp.1`, config);
  renameSync(`${path}.tmp.1`, path);
}

function merge(dir: string, extra: { baseLockWaitMs?: number } = {}) {
  return mergeShareableKeys({ baseJsonPath: base.baseJsonPath, accountJsonPath: jsonPath(dir), ...extra });
}

function age(path: string, secondsAgo: number): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, t, t);
}

const IDENTITY_KEYS = ["oauthAccount", "userID", "anonymousId", "machineID", "numStartups", "firstStartTime"];

beforeEach(() => {
  home = makeTempHome();
  base = makeBase(home);
  accountA = join(home, ".cc-pool", "accounts", "acct-01");
  accountB = join(home, ".cc-pool", "accounts", "acct-02");
  for (const [dir, n] of [
    [accountA, 1],
    [accountB, 2],
  ] as const) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    write(jsonPath(dir), {
      oauthAccount: { accountUuid: `uuid-${n}`, emailAddress: `a${n}@example.com` },
      userID: `account-${n}-user-id`,
      machineID: `account-${n}-machine`,
      numStartups: n,
      cachedUsageUtilization: { accountUuid: `uuid-${n}` },
    });
  }
});

describe("write-back of settings changed in an account", () => {
  test("the first merge lets the base win and writes nothing back", () => {
    const baseBytes = readFileSync(base.baseJsonPath, "utf8");
    edit(jsonPath(accountA), (c) => {
      c.theme = "light";
    });
    const result = merge(accountA);
    expect(result.toBase).toEqual([]);
    expect(read(jsonPath(accountA)).theme).toBe("dark");
    expect(readFileSync(base.baseJsonPath, "utf8")).toBe(baseBytes);
    expect(existsSync(join(accountA, ".cc-pool-merge.json"))).toBe(true);
  });

  test("a theme and a user MCP server set in account A reach ~/.claude.json and account B", () => {
    merge(accountA);
    merge(accountB);
    const baseMode = 0o644;
    chmodSync(base.baseJsonPath, baseMode);
    const baseBefore = read(base.baseJsonPath);
    const inodeBefore = statSync(base.baseJsonPath).ino;

    edit(jsonPath(accountA), (c) => {
      c.theme = "light";
      c.mcpServers = { ...(c.mcpServers as Json), pooled: { type: "stdio", command: "pooled-mcp" } };
      c.numStartups = 99;
      c.userID = "changed-by-the-session";
    });
    const back = merge(accountA);

    expect(back.toBase.sort()).toEqual(["mcpServers", "theme"]);
    const after = read(base.baseJsonPath);
    expect(after.theme).toBe("light");
    expect(Object.keys(after.mcpServers as Json).sort()).toEqual(["github", "pooled"]);
    for (const key of IDENTITY_KEYS) expect(after[key]).toEqual(baseBefore[key]);
    expect(after.projects).toEqual(baseBefore.projects);
    expect(statSync(base.baseJsonPath).mode & 0o777).toBe(baseMode);
    expect(statSync(base.baseJsonPath).ino).not.toBe(inodeBefore);
    expect(existsSync(`${base.baseJsonPath}.lock`)).toBe(false);

    const toB = merge(accountB);
    expect(toB.changedKeys.sort()).toEqual(["mcpServers", "theme"]);
    const b = read(jsonPath(accountB));
    expect(b.theme).toBe("light");
    expect(Object.keys(b.mcpServers as Json).sort()).toEqual(["github", "pooled"]);
    expect(b.userID).toBe("account-2-user-id");

    // The next launch of A keeps the setting (nothing reverts it).
    merge(accountA);
    expect(read(jsonPath(accountA)).theme).toBe("light");
    expect(readFlowHistory(jsonPath(accountA)).at(-1)?.toBase.sort()).toEqual(["mcpServers", "theme"]);
  });

  test("identity, ids, secrets, caches, counters and migration markers never flow back", () => {
    merge(accountA);
    const baseBytes = readFileSync(base.baseJsonPath, "utf8");
    edit(jsonPath(accountA), (c) => {
      c.userID = "x";
      c.machineID = "y";
      c.anonymousId = "z";
      c.primaryApiKey = "sk-ant-api03-account";
      c.cachedUsageUtilization = { accountUuid: "uuid-1", five_hour: 50 };
      c.opusProMigrationComplete = true;
      c.hasResetAutoModeOptInForDefaultOffer = true;
      c.seenNotifications = { a: 1 };
      c.memoryUsageCount = 7;
      c.oauthAccount = { accountUuid: "other" };
    });
    expect(merge(accountA).toBase).toEqual([]);
    expect(readFileSync(base.baseJsonPath, "utf8")).toBe(baseBytes);
  });

  test("a key changed only in the base flows in; the account's untouched value does not flow back", () => {
    merge(accountA);
    edit(base.baseJsonPath, (c) => {
      c.editorMode = "emacs";
    });
    const result = merge(accountA);
    expect(result.toBase).toEqual([]);
    expect(result.changedKeys).toEqual(["editorMode"]);
    expect(read(jsonPath(accountA)).editorMode).toBe("emacs");
  });

  test("a key changed on both sides: the newer change wins and the conflict is recorded", () => {
    merge(accountA);
    edit(base.baseJsonPath, (c) => {
      c.theme = "dark-daltonized";
    });
    age(base.baseJsonPath, 60);
    edit(jsonPath(accountA), (c) => {
      c.theme = "light";
    });
    const accountNewer = merge(accountA);
    expect(accountNewer.conflicts).toEqual([{ key: "theme", winner: "account" }]);
    expect(read(base.baseJsonPath).theme).toBe("light");

    edit(jsonPath(accountA), (c) => {
      c.theme = "light-daltonized";
    });
    age(jsonPath(accountA), 60);
    edit(base.baseJsonPath, (c) => {
      c.theme = "dark";
    });
    const baseNewer = merge(accountA);
    expect(baseNewer.conflicts).toEqual([{ key: "theme", winner: "base" }]);
    expect(read(jsonPath(accountA)).theme).toBe("dark");
    expect(read(base.baseJsonPath).theme).toBe("dark");
    expect(readFlowHistory(jsonPath(accountA)).at(-1)?.conflicts).toEqual([{ key: "theme", winner: "base" }]);
  });

  test("a merge record written by an earlier cc-pool still tells which side changed", () => {
    // Earlier versions hashed each value with node:crypto's SHA-256 (first 24 hex digits).
    const hash = (value: unknown) =>
      createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 24);
    edit(base.baseJsonPath, (c) => {
      c.theme = "dark";
    });
    edit(jsonPath(accountA), (c) => {
      c.theme = "dark";
    });
    write(join(accountA, ".cc-pool-merge.json"), {
      version: 1,
      base: { theme: hash("dark") },
      account: { theme: hash("dark") },
      history: [],
    });
    edit(jsonPath(accountA), (c) => {
      c.theme = "light";
    });
    // The base looks newer: a record that no longer matched would turn this into a conflict it wins.
    age(jsonPath(accountA), 60);
    const result = merge(accountA);
    expect(result.conflicts).toEqual([]);
    expect(result.toBase).toEqual(["theme"]);
    expect(read(base.baseJsonPath).theme).toBe("light");
  });

  test("a value set alike on both sides is recorded, so a later change on one side wins cleanly", () => {
    merge(accountA);
    for (const path of [base.baseJsonPath, jsonPath(accountA)]) {
      edit(path, (c) => {
        c.diffTool = "meld";
      });
    }
    const alike = merge(accountA);
    expect([alike.changed, alike.toBase]).toEqual([false, []]);
    edit(base.baseJsonPath, (c) => {
      c.diffTool = "kdiff";
    });
    // The account looks newer: had the agreement not been recorded, this would be a conflict it wins.
    age(base.baseJsonPath, 60);
    const result = merge(accountA);
    expect(result.conflicts).toEqual([]);
    expect(read(jsonPath(accountA)).diffTool).toBe("kdiff");
    expect(read(base.baseJsonPath).diffTool).toBe("kdiff");
  });

  test("deleting a key in the account does not delete it from the base", () => {
    merge(accountA);
    edit(jsonPath(accountA), (c) => {
      delete c.theme;
      delete c.mcpServers;
    });
    expect(merge(accountA).toBase).toEqual([]);
    expect(read(base.baseJsonPath).theme).toBe("dark");
    expect(read(base.baseJsonPath).mcpServers).toBeDefined();
  });

  test("project trust and MCP approvals flow both ways; other project keys stay put", () => {
    merge(accountA);
    edit(jsonPath(accountA), (c) => {
      const projects = c.projects as Record<string, Json>;
      projects["/Users/me/code/lib"] = {
        ...projects["/Users/me/code/lib"],
        hasTrustDialogAccepted: true,
        lastCost: 9,
      };
      projects["/Users/me/new"] = {
        hasTrustDialogAccepted: true,
        enabledMcpjsonServers: ["x"],
        allowedTools: ["Bash"],
      };
    });
    const result = merge(accountA);
    expect(result.toBase.sort()).toEqual([
      'projects["/Users/me/code/lib"].hasTrustDialogAccepted',
      'projects["/Users/me/new"].enabledMcpjsonServers',
      'projects["/Users/me/new"].hasTrustDialogAccepted',
    ]);
    const projects = read(base.baseJsonPath).projects as Record<string, Json>;
    expect(projects["/Users/me/code/lib"]).toEqual({
      allowedTools: [],
      hasTrustDialogAccepted: true,
      lastCost: 0,
    });
    expect(projects["/Users/me/new"]).toEqual({ hasTrustDialogAccepted: true, enabledMcpjsonServers: ["x"] });
    expect((projects[BASE_PROJECT] as Json).allowedTools).toEqual(["Bash(git status)", "Edit"]);

    const toB = merge(accountB);
    expect(toB.changedKeys).toContain("projects");
    const bProjects = read(jsonPath(accountB)).projects as Record<string, Json>;
    expect(bProjects["/Users/me/new"]).toEqual({
      hasTrustDialogAccepted: true,
      enabledMcpjsonServers: ["x"],
    });
  });

  test("a lock held on ~/.claude.json postpones the write-back; it lands at the next merge", () => {
    merge(accountA);
    const baseBytes = readFileSync(base.baseJsonPath, "utf8");
    edit(jsonPath(accountA), (c) => {
      c.theme = "light";
    });
    mkdirSync(`${base.baseJsonPath}.lock`);
    const held = merge(accountA, { baseLockWaitMs: 50 });
    expect(held.toBase).toEqual([]);
    expect(held.baseSkipped?.reason).toBe("base-locked");
    expect(readFileSync(base.baseJsonPath, "utf8")).toBe(baseBytes);
    expect(existsSync(`${base.baseJsonPath}.lock`)).toBe(true);

    rmdirSync(`${base.baseJsonPath}.lock`);
    expect(merge(accountA).toBase).toEqual(["theme"]);
    expect(read(base.baseJsonPath).theme).toBe("light");
  });

  test("a ~/.claude.json kept in a dotfiles repo is written through its symlink", () => {
    const real = join(home, "dotfiles", "claude.json");
    mkdirSync(join(home, "dotfiles"));
    renameSync(base.baseJsonPath, real);
    symlinkSync(real, base.baseJsonPath);
    merge(accountA);
    edit(jsonPath(accountA), (c) => {
      c.verbose = false;
    });
    expect(merge(accountA).toBase).toEqual(["verbose"]);
    expect(lstatSync(base.baseJsonPath).isSymbolicLink()).toBe(true);
    expect(readlinkSync(base.baseJsonPath)).toBe(real);
    expect(read(real).verbose).toBe(false);
  });

  test("an unparsable ~/.claude.json is never replaced", () => {
    merge(accountA);
    writeFileSync(base.baseJsonPath, "{ not json", { mode: 0o600 });
    edit(jsonPath(accountA), (c) => {
      c.theme = "light";
    });
    expect(merge(accountA).skipped?.reason).toBe("base-unparsable");
    expect(readFileSync(base.baseJsonPath, "utf8")).toBe("{ not json");
    expect(existsSync(`${base.baseJsonPath}.lock`)).toBe(false);
  });
});
