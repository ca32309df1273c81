import { CcpError } from "../errors.ts";

/**
 * Rejects a config dir that cannot name a pooled account. An empty string would map to Claude
 * Code's default credential, which belongs to plain `claude` and must never be touched.
 */
export function assertConfigDir(configDir: string): void {
  if (typeof configDir !== "string" || configDir.length === 0) {
    throw new CcpError(
      "credential",
      "An account config dir is required to locate its credential; got an empty path.",
      {
        hint: "This is a bug in cc-pool: it never uses Claude Code's default credential.",
      },
    );
  }
  if (!configDir.startsWith("/")) {
    throw new CcpError("credential", `The config dir ${JSON.stringify(configDir)} is not an absolute path.`, {
      hint: "Account config dirs are absolute paths; check the account's entry with `ccp list`.",
    });
  }
}
