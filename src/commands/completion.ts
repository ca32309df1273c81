import { defineCommand } from "../command.ts";
import { usageError } from "../errors.ts";
import { writeOut } from "../ui/output.ts";

export default defineCommand({
  meta: {
    name: "completion",
    description: "Print the shell completion script: ccp completion zsh|bash|fish",
  },
  args: {
    shell: { type: "positional", description: "zsh | bash | fish", required: false },
    accounts: {
      type: "boolean",
      description: "Print `id<TAB>name` for each account (used by the completion scripts)",
      hidden: true,
    },
  },
  async run({ args }) {
    if (args.accounts) {
      if (args.shell !== undefined) throw usageError("`--accounts` takes no shell name.");
      // Runs on every TAB: whatever goes wrong, print nothing rather than an error in the prompt.
      try {
        const { env } = await import("../env.ts");
        const { accountCompletionLines } = await import("../completion/accounts.ts");
        writeOut(accountCompletionLines(env()));
      } catch {}
      return 0;
    }
    const { SHELLS, completionScript, isCompletionShell } = await import("../completion/index.ts");
    if (args.shell === undefined || !isCompletionShell(args.shell)) {
      const got = args.shell === undefined ? "" : ` (got "${args.shell}")`;
      throw usageError(
        `\`ccp completion\` needs a shell: ${SHELLS.join(", ")}${got}.`,
        `For example: ccp completion zsh > "\${fpath[1]}/_ccp"`,
      );
    }
    writeOut(await completionScript(args.shell));
    return 0;
  },
});
