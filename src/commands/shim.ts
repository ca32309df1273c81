import { defineCommand } from "../command.ts";
import { CcpError, usageError } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "shim",
    description: "Put a `claude` that runs on the pool ahead of the real one on PATH (install | uninstall)",
  },
  args: {
    action: { type: "positional", description: "install | uninstall" },
    dir: {
      type: "string",
      description: "Where the `claude` link goes (default ~/.local/bin)",
      valueHint: "dir",
    },
  },
  async run({ args }) {
    const action = args.action as string;
    if (action !== "install" && action !== "uninstall") {
      throw usageError(
        `Unknown action "${action}" for \`ccp shim\`: expected install or uninstall.`,
        "Run `ccp help shim`.",
      );
    }
    const dir = args.dir as string | undefined;
    if (dir !== undefined && dir.trim() === "") throw usageError("--dir needs a directory.");
    const { env } = await import("../env.ts");
    const { log } = await import("../ui/log.ts");
    const shim = await import("../app/claude-shim.ts");
    const e = env();
    if (action === "uninstall") {
      const r = shim.uninstallShim(e, dir);
      if (r.kind === "absent") log.info(`No cc-pool \`claude\` link at ${r.link}; nothing changed.`);
      else log.success(`Removed ${r.link}. Programs that start \`claude\` now get the real one again.`);
      return 0;
    }
    const { sourceEntry, stableSelfCommand } = await import("../app/self-path.ts");
    if (sourceEntry(Bun.main) !== undefined) {
      throw new CcpError(
        "failure",
        "`ccp shim install` links the installed cc-pool binary; this is a source checkout.",
        {
          hint: "Run it from the installed `ccp` (or `bun run build --host` and use that binary).",
        },
      );
    }
    const [binary] = stableSelfCommand({
      execPath: process.execPath,
      script: Bun.main,
      argv0: process.argv0,
      pathEnv: e.path,
    });
    const r = shim.installShim(e, binary as string, dir);
    if (r.changed) log.success(`Linked ${r.link} → ${r.target}.`);
    else log.info(`${r.link} already runs cc-pool.`);
    process.stdout.write(`${r.link}\n`);
    const linkDir = shim.shimDirOf(r.link);
    switch (r.verdict.kind) {
      case "ahead":
        log.dim(
          r.verdict.real
            ? `It comes before the real claude (${r.verdict.real}) on PATH: programs that start \`claude\` now run on the pool.`
            : "No real claude found on PATH after it: install Claude Code, or set CCP_CLAUDE_BIN.",
        );
        break;
      case "behind":
        log.warn(
          `${linkDir} comes after ${r.verdict.real} on PATH, so programs still get the real claude. Put it first, e.g. in your shell's profile: ${shim.pathAdvice(linkDir)}`,
        );
        break;
      case "not-on-path":
        log.warn(
          `${linkDir} is not on PATH. Add it in front, e.g. in your shell's profile (and your IDE's environment): ${shim.pathAdvice(linkDir)}`,
        );
        break;
    }
    return 0;
  },
});
