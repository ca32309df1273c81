// Running the generated scripts in real shells: a `ccp` on PATH that is this checkout (so the
// `completion --accounts` helper reads a real pool), and drivers for bash, zsh and fish.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_ENTRY, type CliResult, runCli, tempDir } from "../helpers/cli.ts";

/** A bin dir holding `ccp` and `cc-pool` wrappers that run `bun src/cli.ts`. */
export function ccpBinDir(): string {
  const dir = join(tempDir("bin-"), "bin");
  mkdirSync(dir, { recursive: true });
  const wrapper = join(dir, "ccp");
  writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${CLI_ENTRY}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  symlinkSync("ccp", join(dir, "cc-pool"));
  return dir;
}

export function shellEnv(binDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, PATH: `${binDir}:${process.env.PATH ?? ""}` };
}

/** Runs `shell args…` in a temp dir; runCli kills it if it outlives the timeout. */
export function runShell(shell: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli(args, { bin: shell, env, timeoutMs: 40_000 });
}

/** Calls bash's completion function for each line (words split on spaces; a trailing space = empty word). */
export function bashDriver(scriptPath: string, lines: string[]): string {
  const calls = lines.map((line) => {
    const words = line.split(" ").map((w) => `'${w}'`);
    return `COMP_WORDS=(${words.join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _ccp; printf '%s\\n' "== ${line}" "\${COMPREPLY[@]}"`;
  });
  return [`source '${scriptPath}'`, ...calls].join("\n");
}

/** Splits driver output into `== line` sections. */
export function sections(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    if (line.startsWith("== ")) {
      current = [];
      out.set(line.slice(3), current);
    } else if (current && line !== "") current.push(line);
  }
  return out;
}

/**
 * A zsh script that starts an interactive zsh in a pseudo-terminal (zpty), loads compinit with
 * `fpathDir` on $fpath, types each line followed by TAB and reports, per case, `PASS name` when the
 * screen then shows `expect` (escape sequences removed), else `FAIL name: <screen>`.
 */
export function zshDriver(
  fpathDir: string,
  dumpFile: string,
  binDir: string,
  cases: Array<{ name: string; line: string; expect: string }>,
): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return `zmodload zsh/zpty || exit 3
typeset -g screen=''
wait_for() {
  local chunk deadline=$(( SECONDS + 10 )) plain
  while (( SECONDS < deadline )); do
    if zpty -r -t z chunk; then
      screen+=$chunk
      plain=\${screen//$'\\e'\\[[0-9;?]#[a-zA-Z]/}
      [[ $plain == *\${~1}* ]] && return 0
    else
      sleep 0.02
    fi
  done
  return 1
}
check() {
  screen=''
  zpty -w -n z "$2"$'\\t'
  if wait_for "$3"; then print -r -- "PASS $1 \${(q+)screen}"; else print -r -- "FAIL $1: \${(q+)screen}"; fi
  zpty -w -n z $'\\C-u'
  sleep 0.1
  while zpty -r -t z chunk; do :; done
}
# timeout bounds the inner shell even if this driver is killed before it can close it.
zpty z 'exec timeout 60 zsh -f -i'
zpty -w z ${q(`PS1='RE''ADY> '; fpath=(${fpathDir} $fpath); autoload -U compinit; compinit -u -d ${dumpFile}; PATH=${binDir}:$PATH`)}
wait_for 'READY> ' || { print -r -- "FAIL prompt: \${(q+)screen}"; zpty -d z; exit 1; }
${cases.map((c) => `check ${q(c.name)} ${q(c.line)} ${c.expect === "\u0007" ? "$'\\a'" : q(c.expect)}`).join("\n")}
zpty -d z
`;
}
