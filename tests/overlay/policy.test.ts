import { describe, expect, test } from "bun:test";
import {
  SHARED_BASE_DIRS,
  SHARED_BASE_FILES,
  classifyEntry,
  isNeverProjected,
  isPrivateEntry,
  isProjected,
} from "../../src/overlay/policy.ts";

describe("overlay entry policy", () => {
  test.each([
    "daemon",
    "ide",
    "backups",
    ".claude.json",
    ".credentials.json",
    ".last-update-result.json",
    "remote-settings.json",
    "mcp-needs-auth-cache.json",
    "stats-cache.json",
    "policy-limits.json",
    ".claude.json.lock",
    ".oauth_refresh.lock",
    "settings.json.tmp.123.456",
    ".claude.json.tmp.99.1",
    "history.jsonl.tmp",
    ".claude.json.backup",
  ])("%s stays per-account", (name) => {
    expect(isPrivateEntry(name)).toBe(true);
    expect(isProjected(name)).toBe(false);
  });

  test.each([".DS_Store", "._settings.json", "._"])("%s is never projected", (name) => {
    expect(isNeverProjected(name)).toBe(true);
    expect(isProjected(name)).toBe(false);
  });

  test.each([
    "settings.json",
    "settings.local.json",
    "projects",
    "skills",
    "plans",
    "plugins",
    "history.jsonl",
    "CLAUDE.md",
    "todos",
    "shell-snapshots",
    "agents",
    "commands",
    "ide-notes",
    "daemons",
    "lockfile-notes.md",
    "claude.json",
    "DS_Store",
  ])("%s is shared through a link", (name) => {
    expect(isPrivateEntry(name)).toBe(false);
    expect(isNeverProjected(name)).toBe(false);
    expect(isProjected(name)).toBe(true);
  });
});

describe("the full private list", () => {
  test.each([
    ".config.json",
    "jobs",
    "daemon.lock",
    "daemon.log",
    "daemon.status.json",
    "daemon.json",
    "daemon.scheduled.status.json",
    ".oauth_refresh.lock.owner",
    ".storage-write.lock",
    ".cc-pool-merge.json",
    ".cc-pool-launch.json",
  ])("%s stays per-account", (name) => {
    expect(classifyEntry(name)).toBe("private");
    expect(isProjected(name)).toBe(false);
  });

  test.each([...SHARED_BASE_DIRS, ...SHARED_BASE_FILES])("%s is a known shared entry", (name) => {
    expect(classifyEntry(name)).toBe("shared");
  });

  test("names the pinned CLI never creates are unclassified, and still shared when they are in the base", () => {
    expect(classifyEntry("agents")).toBe("unclassified");
    expect(isProjected("agents")).toBe(true);
    expect(classifyEntry(".DS_Store")).toBe("never");
  });
});
