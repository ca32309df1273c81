import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { mergeShareableKeys, seedAccountClaudeJson } from "../../src/overlay/claude-json.ts";
import {
  BASE_PROJECT,
  type Base,
  expectSacredUnchanged,
  makeBase,
  makeTempHome,
  realisticClaudeJson,
  snapshotSacred,
} from "../helpers/sacred.ts";

type Json = Record<string, unknown>;

let home: string;
let base: Base;
let accountDir: string;
let accountJsonPath: string;
let before: string;

function setUp(opts: Parameters<typeof makeBase>[1] = {}): void {
  home = makeTempHome();
  base = makeBase(home, opts);
  accountDir = join(home, ".cc-pool", "accounts", "acct-01");
  mkdirSync(accountDir, { recursive: true, mode: 0o700 });
  accountJsonPath = join(accountDir, ".claude.json");
  before = snapshotSacred(home);
}

function readAccount(): Json {
  return JSON.parse(readFileSync(accountJsonPath, "utf8")) as Json;
}

function writeAccount(value: Json): void {
  writeFileSync(accountJsonPath, JSON.stringify(value, null, 2), { mode: 0o600 });
}

const ACCOUNT_IDENTITY = {
  accountUuid: "acct-uuid-2",
  emailAddress: "alice@gmail.com",
  organizationUuid: "org-2",
  organizationName: "alice@gmail.com's Organization",
};

function noTempFiles(): void {
  expect(readdirSync(accountDir).filter((n) => n.includes(".tmp.") || n.endsWith(".lock"))).toEqual([]);
}

describe("seedAccountClaudeJson", () => {
  afterEach(() => expectSacredUnchanged(home, before));

  test("copies the base without identity, ids, secrets, caches and counters, marked onboarded, mode 0600", () => {
    setUp({
      claudeJson: {
        ...realisticClaudeJson(),
        hasCompletedOnboarding: false,
        primaryApiKey: "sk-ant-api03-base-console-key",
        cachedUsageUtilization: { accountUuid: "11111111-2222-4333-8444-555555555555", five_hour: 12 },
        cachedGrowthBookFeatures: { x: 1 },
        customApiKeyResponses: { approved: ["abc"], rejected: [] },
        memoryUsageCount: 3,
      },
    });

    const result = seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir });

    expect(result).toEqual({ kind: "seeded", path: accountJsonPath, base: "ok" });
    const seeded = readAccount();
    const expected: Json = { ...base.claudeJson, hasCompletedOnboarding: true };
    for (const key of [
      "oauthAccount",
      "pluginUsage",
      "userID",
      "anonymousId",
      "machineID",
      "primaryApiKey",
      "cachedUsageUtilization",
      "cachedGrowthBookFeatures",
      "customApiKeyResponses",
      "memoryUsageCount",
      "numStartups",
      "firstStartTime",
      "tipsHistory",
    ]) {
      delete expected[key];
    }
    expected.projects = {
      [BASE_PROJECT]: {
        hasTrustDialogAccepted: true,
        hasClaudeMdExternalIncludesApproved: true,
        hasClaudeMdExternalIncludesWarningShown: true,
        mcpServers: { local: { type: "stdio", command: "./mcp.sh" } },
        enabledMcpjsonServers: ["db"],
        disabledMcpjsonServers: ["slow"],
      },
      "/Users/me/code/lib": { hasTrustDialogAccepted: false },
    };
    expect(seeded).toEqual(expected);
    const text = readFileSync(accountJsonPath, "utf8");
    for (const secret of ["sk-ant-api03-base-console-key", "f0e1d2c3b4a5", "machine-1", "11111111-2222"]) {
      expect(text).not.toContain(secret);
    }
    expect(statSync(accountJsonPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(accountJsonPath, "utf8")).toBe(JSON.stringify(seeded, null, 2));
    noTempFiles();
  });

  test("without a base it seeds only the onboarding flag", () => {
    setUp({ claudeJson: false });
    const result = seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir });
    expect(result).toEqual({ kind: "seeded", path: accountJsonPath, base: "missing" });
    expect(readAccount()).toEqual({ hasCompletedOnboarding: true });
  });

  test("an unparsable base seeds only the onboarding flag and says so", () => {
    setUp({ claudeJson: '{"theme": "dark",' });
    const result = seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir });
    expect(result.kind).toBe("seeded");
    expect(result.kind === "seeded" && result.base).toBe("unparsable");
    expect(result.kind === "seeded" && result.baseDetail).toContain("not valid JSON");
    expect(readAccount()).toEqual({ hasCompletedOnboarding: true });
  });

  test("a base whose top level is not an object counts as unparsable", () => {
    setUp({ claudeJson: "[1,2]" });
    const result = seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir });
    expect(result.kind === "seeded" && result.base).toBe("unparsable");
    expect(readAccount()).toEqual({ hasCompletedOnboarding: true });
  });

  test("never replaces a file that already has an identity", () => {
    setUp();
    writeAccount({ oauthAccount: ACCOUNT_IDENTITY, theme: "light" });
    const bytes = readFileSync(accountJsonPath, "utf8");

    const result = seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir });

    expect(result).toEqual({ kind: "kept", path: accountJsonPath, reason: "has-identity" });
    expect(readFileSync(accountJsonPath, "utf8")).toBe(bytes);
  });

  test("replaces a skeleton without identity (an unfinished login)", () => {
    setUp();
    writeAccount({ firstStartTime: "x", oauthAccount: { emailAddress: "half@way.io" } });
    const result = seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir });
    expect(result.kind).toBe("seeded");
    expect(readAccount().theme).toBe("dark");
    expect(readAccount().oauthAccount).toBeUndefined();
  });

  test("never replaces an account file it cannot parse", () => {
    setUp();
    writeFileSync(accountJsonPath, "{broken");
    const result = seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir });
    expect(result.kind).toBe("kept");
    expect(result.kind === "kept" && result.reason).toBe("account-unparsable");
    expect(readFileSync(accountJsonPath, "utf8")).toBe("{broken");
  });

  test("a missing account dir is an error naming the file", () => {
    setUp();
    rmSync(accountDir, { recursive: true });
    expect(() => seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir })).toThrow(CcpError);
    expect(() => seedAccountClaudeJson({ baseJsonPath: base.baseJsonPath, accountDir })).toThrow(
      accountJsonPath,
    );
    expect(existsSync(accountDir)).toBe(false);
  });
});

describe("mergeShareableKeys", () => {
  beforeEach(() => setUp());
  afterEach(() => expectSacredUnchanged(home, before));

  const merge = () => mergeShareableKeys({ baseJsonPath: base.baseJsonPath, accountJsonPath });

  test("shareable top-level keys flow in and the base wins", () => {
    writeAccount({ oauthAccount: ACCOUNT_IDENTITY, theme: "light", verbose: false });

    const result = merge();

    expect(result.changed).toBe(true);
    expect(result.skipped).toBeUndefined();
    const merged = readAccount();
    expect(merged.theme).toBe("dark");
    expect(merged.verbose).toBe(true);
    expect(merged.mcpServers).toEqual(base.claudeJson?.mcpServers);
    expect(merged.machineID).toBeUndefined();
    expect(result.changedKeys).toContain("theme");
    expect(result.changedKeys).toContain("mcpServers");
    expect(statSync(accountJsonPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(accountJsonPath, "utf8")).toBe(JSON.stringify(merged, null, 2));
    noTempFiles();
  });

  test("identity, ids, counters and plugin usage stay the account's own", () => {
    const own = {
      oauthAccount: ACCOUNT_IDENTITY,
      userID: "account-user-id",
      numStartups: 3,
      firstStartTime: "2026-01-01T00:00:00.000Z",
      pluginUsage: { mine: { count: 1 } },
    };
    writeAccount(own);

    const result = merge();

    const merged = readAccount();
    for (const [key, value] of Object.entries(own)) expect(merged[key]).toEqual(value);
    expect(merged.anonymousId).toBeUndefined();
    for (const key of [
      "oauthAccount",
      "userID",
      "anonymousId",
      "numStartups",
      "firstStartTime",
      "pluginUsage",
    ]) {
      expect(result.changedKeys).not.toContain(key);
    }
  });

  test("an account without those keys does not get the base's", () => {
    writeAccount({ theme: "light" });
    merge();
    const merged = readAccount();
    for (const key of [
      "oauthAccount",
      "userID",
      "anonymousId",
      "numStartups",
      "firstStartTime",
      "pluginUsage",
    ]) {
      expect(merged[key]).toBeUndefined();
    }
  });

  test("deletions never propagate: keys only in the account are kept", () => {
    writeAccount({
      oauthAccount: ACCOUNT_IDENTITY,
      customApiKeyResponses: { approved: ["x"] },
      theme: "dark",
    });
    merge();
    expect(readAccount().customApiKeyResponses).toEqual({ approved: ["x"] });
  });

  test("per project only trust and MCP keys flow; the account's other project keys stay", () => {
    writeAccount({
      oauthAccount: ACCOUNT_IDENTITY,
      projects: {
        [BASE_PROJECT]: {
          allowedTools: ["Bash(ls)"],
          hasTrustDialogAccepted: false,
          mcpServers: {},
          lastCost: 9.5,
          exampleFiles: ["a.ts"],
        },
        "/only/in/account": { hasTrustDialogAccepted: true, lastCost: 2 },
      },
    });

    const result = merge();

    expect(result.changedKeys).toContain("projects");
    const projects = readAccount().projects as Record<string, Json>;
    expect(projects[BASE_PROJECT]).toEqual({
      allowedTools: ["Bash(ls)"],
      hasTrustDialogAccepted: true,
      mcpServers: { local: { type: "stdio", command: "./mcp.sh" } },
      lastCost: 9.5,
      exampleFiles: ["a.ts"],
      hasClaudeMdExternalIncludesApproved: true,
      hasClaudeMdExternalIncludesWarningShown: true,
      enabledMcpjsonServers: ["db"],
      disabledMcpjsonServers: ["slow"],
    });
    expect(projects["/only/in/account"]).toEqual({ hasTrustDialogAccepted: true, lastCost: 2 });
    // A base-only project arrives with its shared keys only, not its tool approvals or stats.
    expect(projects["/Users/me/code/lib"]).toEqual({ hasTrustDialogAccepted: false });
  });

  test("a shared project key missing from the base stays in the account", () => {
    writeFileSync(
      base.baseJsonPath,
      JSON.stringify({ projects: { [BASE_PROJECT]: { hasTrustDialogAccepted: true } } }, null, 2),
      { mode: 0o600 },
    );
    before = snapshotSacred(home);
    writeAccount({
      projects: { [BASE_PROJECT]: { hasTrustDialogAccepted: false, enabledMcpjsonServers: ["mine"] } },
    });

    merge();

    expect((readAccount().projects as Record<string, Json>)[BASE_PROJECT]).toEqual({
      hasTrustDialogAccepted: true,
      enabledMcpjsonServers: ["mine"],
    });
  });

  test("a base project without shared keys adds no entry", () => {
    writeFileSync(
      base.baseJsonPath,
      JSON.stringify({ projects: { "/p": { allowedTools: ["Edit"], lastCost: 1 } } }, null, 2),
      { mode: 0o600 },
    );
    before = snapshotSacred(home);
    writeAccount({ theme: "light" });

    const result = merge();

    expect(result.changed).toBe(false);
    expect(readAccount()).toEqual({ theme: "light" });
  });

  test("nothing to change: the file is not rewritten", () => {
    writeAccount({ oauthAccount: ACCOUNT_IDENTITY });
    expect(merge().changed).toBe(true);
    utimesSync(accountJsonPath, new Date(1_000_000), new Date(1_000_000));
    const st = statSync(accountJsonPath);

    const result = merge();

    expect(result).toEqual({ changed: false, changedKeys: [], toBase: [], conflicts: [] });
    const after = statSync(accountJsonPath);
    expect(after.ino).toBe(st.ino);
    expect(after.mtimeMs).toBe(st.mtimeMs);
  });

  test("equal values in a different key order count as unchanged", () => {
    const reordered: Json = {};
    for (const [key, value] of Object.entries(base.claudeJson ?? {}).reverse()) reordered[key] = value;
    reordered.mcpServers = {
      github: { env: {}, args: ["--read-only"], command: "github-mcp", type: "stdio" },
    };
    writeAccount(reordered);
    const bytes = readFileSync(accountJsonPath, "utf8");
    const ino = statSync(accountJsonPath).ino;

    expect(merge().changed).toBe(false);
    expect(readFileSync(accountJsonPath, "utf8")).toBe(bytes);
    expect(statSync(accountJsonPath).ino).toBe(ino);
  });

  test("an unparsable account file is never replaced", () => {
    writeFileSync(accountJsonPath, '{"oauthAccount": {', { mode: 0o600 });
    const result = merge();
    expect(result.changed).toBe(false);
    expect(result.skipped?.reason).toBe("account-unparsable");
    expect(result.skipped?.path).toBe(accountJsonPath);
    expect(readFileSync(accountJsonPath, "utf8")).toBe('{"oauthAccount": {');
    noTempFiles();
  });

  test("an account file holding an array is unparsable too", () => {
    writeFileSync(accountJsonPath, "[]", { mode: 0o600 });
    expect(merge().skipped?.reason).toBe("account-unparsable");
    expect(readFileSync(accountJsonPath, "utf8")).toBe("[]");
  });

  test("a missing account file is not created", () => {
    const result = merge();
    expect(result.skipped).toEqual({ reason: "account-missing", path: accountJsonPath });
    expect(existsSync(accountJsonPath)).toBe(false);
  });

  test("a missing or unparsable base skips the merge", () => {
    writeAccount({ theme: "light" });
    rmSync(base.baseJsonPath);
    before = snapshotSacred(home);
    expect(merge().skipped).toEqual({ reason: "base-missing", path: base.baseJsonPath });

    writeFileSync(base.baseJsonPath, "not json", { mode: 0o600 });
    before = snapshotSacred(home);
    const result = merge();
    expect(result.skipped?.reason).toBe("base-unparsable");
    expect(result.skipped?.path).toBe(base.baseJsonPath);
    expect(readAccount()).toEqual({ theme: "light" });
  });

  test("a lock held by a running claude skips the merge and leaves its lock", () => {
    writeAccount({ theme: "light" });
    mkdirSync(`${accountJsonPath}.lock`);

    const result = merge();

    expect(result.skipped?.reason).toBe("account-locked");
    expect(readAccount()).toEqual({ theme: "light" });
    expect(existsSync(`${accountJsonPath}.lock`)).toBe(true);
  });

  test("a lock held by a running claude is reported even when there is nothing to merge", () => {
    writeAccount({ theme: "light" });
    merge();
    expect(merge().skipped).toBeUndefined();
    mkdirSync(`${accountJsonPath}.lock`);

    expect(merge().skipped?.reason).toBe("account-locked");
    expect(existsSync(`${accountJsonPath}.lock`)).toBe(true);
  });

  test("a stale lock left by a crashed claude does not block the merge and is not removed", () => {
    writeAccount({ theme: "light" });
    mkdirSync(`${accountJsonPath}.lock`);
    utimesSync(`${accountJsonPath}.lock`, new Date(1_000_000), new Date(1_000_000));

    const result = merge();

    expect(result.changed).toBe(true);
    expect(readAccount().theme).toBe("dark");
    expect(existsSync(`${accountJsonPath}.lock`)).toBe(true);
  });
});
