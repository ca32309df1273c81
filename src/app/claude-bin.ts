import { basename, join } from "../fs/posix-path.ts";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { isExecutableFile } from "../fs/reads.ts";
import { realpathOrSelf } from "./self-path.ts";

export const EXIT_NOT_FOUND = 127;

export { isExecutableFile };

/** A `claude` that is really cc-pool (a symlink to our binary) would make `ccp run` call itself. */
export function isCcPool(path: string): boolean {
  const real = realpathOrSelf(path);
  const name = basename(real);
  return real === realpathOrSelf(process.execPath) || name === "cc-pool" || name === "ccp";
}

/** The real claude: CCP_CLAUDE_BIN, else the first `claude` on PATH that is not cc-pool. */
export function findClaude(env: Env): string {
  if (env.claudeBin) {
    if (!isExecutableFile(env.claudeBin)) {
      throw new CcpError(
        "claude-missing",
        `CCP_CLAUDE_BIN points at ${env.claudeBin}, which is not an executable file.`,
        {
          hint: "Fix or unset CCP_CLAUDE_BIN.",
          exitCode: EXIT_NOT_FOUND,
        },
      );
    }
    if (isCcPool(env.claudeBin)) {
      throw new CcpError("claude-missing", `CCP_CLAUDE_BIN points at cc-pool itself (${env.claudeBin}).`, {
        hint: "Point CCP_CLAUDE_BIN at the real Claude Code binary.",
        exitCode: EXIT_NOT_FOUND,
      });
    }
    return env.claudeBin;
  }
  for (const dir of env.path.split(":")) {
    if (!dir) continue;
    const candidate = join(dir, "claude");
    if (isExecutableFile(candidate) && !isCcPool(candidate)) return candidate;
  }
  throw new CcpError("claude-missing", "Claude Code (`claude`) was not found on PATH.", {
    hint: "Install it (`npm install -g @anthropic-ai/claude-code`) or set CCP_CLAUDE_BIN to its path.",
    exitCode: EXIT_NOT_FOUND,
  });
}
