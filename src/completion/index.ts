import { bashScript } from "./bash.ts";
import { fishScript } from "./fish.ts";
import { type CompletionSpec, loadCompletionSpec } from "./spec.ts";
import { zshScript } from "./zsh.ts";

export const SHELLS = ["zsh", "bash", "fish"] as const;
export type CompletionShell = (typeof SHELLS)[number];

export function isCompletionShell(value: string): value is CompletionShell {
  return (SHELLS as readonly string[]).includes(value);
}

export function renderCompletion(shell: CompletionShell, spec: CompletionSpec): string {
  switch (shell) {
    case "zsh":
      return zshScript(spec);
    case "bash":
      return bashScript(spec);
    case "fish":
      return fishScript(spec);
  }
}

/** The completion script for `shell`, built from the registry's current command definitions. */
export async function completionScript(shell: CompletionShell): Promise<string> {
  return renderCompletion(shell, await loadCompletionSpec());
}

/** File names the scripts are shipped under (the release tarball's `completions/`). */
export const COMPLETION_FILES: Record<CompletionShell, string> = {
  zsh: "_ccp",
  bash: "ccp.bash",
  fish: "ccp.fish",
};
