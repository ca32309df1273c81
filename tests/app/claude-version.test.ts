import { expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installedClaudeVersion } from "../../src/app/refresh.ts";
import { loadEnv } from "../../src/env.ts";
import { REPO_ROOT, baseEnv, tempDir } from "../helpers/cli.ts";

test("the installed claude's version is read without running it (npm package, native installer)", () => {
  const npm = join(REPO_ROOT, "node_modules", ".bin", "claude");
  const npmVersion = (
    require(join(REPO_ROOT, "node_modules/@anthropic-ai/claude-code/package.json")) as {
      version: string;
    }
  ).version;
  expect(installedClaudeVersion(loadEnv(baseEnv({ CCP_CLAUDE_BIN: npm })))).toBe(npmVersion);

  const versions = join(tempDir("native-"), ".local", "share", "claude", "versions");
  mkdirSync(versions, { recursive: true });
  const native = join(versions, "2.1.400");
  writeFileSync(native, "#!/bin/sh\n");
  chmodSync(native, 0o755);
  expect(installedClaudeVersion(loadEnv(baseEnv({ CCP_CLAUDE_BIN: native })))).toBe("2.1.400");

  const unknown = join(tempDir("bin-"), "claude");
  writeFileSync(unknown, "#!/bin/sh\n");
  chmodSync(unknown, 0o755);
  expect(installedClaudeVersion(loadEnv(baseEnv({ CCP_CLAUDE_BIN: unknown })))).toBeUndefined();
});
