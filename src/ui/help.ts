import { renderUsage } from "citty";
import { type CcpCommand, toCittyDef } from "../command.ts";
import { COMMANDS, loadCommand } from "../commands/registry.ts";
import { versionLine } from "../version.ts";
import { colorEnabled } from "./color.ts";

const ANSI = /\u001B\[[0-9;]*m/g;

function forStdout(text: string): string {
  const plain = colorEnabled(1) ? text : text.replace(ANSI, "");
  return plain.replace(/[ \t]+$/gm, "");
}

export async function renderCommandHelp(cmd: CcpCommand): Promise<string> {
  const def = toCittyDef(cmd);
  const usage = await renderUsage({ ...def, meta: { ...cmd.meta, name: `ccp ${cmd.meta.name}` } });
  return forStdout(
    cmd.meta.name === "run"
      ? `${usage}\n\nEvery argument after \`run\` goes to claude unchanged, including --help.`
      : usage,
  );
}

export async function renderTopHelp(): Promise<string> {
  const rows: Array<[string, string]> = [];
  for (const name of Object.keys(COMMANDS)) {
    const cmd = await loadCommand(name);
    if (!cmd || cmd.meta.hidden) continue;
    rows.push([name, cmd.meta.description]);
  }
  const width = Math.max(...rows.map(([n]) => n.length));
  return [
    `${versionLine()}: launch every Claude Code session on the emptiest of your Claude subscriptions.`,
    "",
    "USAGE  ccp <command> [options]",
    "       ccp [claude options]      same as `ccp run [claude options]`",
    "",
    "COMMANDS",
    "",
    ...rows.map(([n, d]) => `  ${n.padEnd(width)}  ${d}`),
    "",
    "Run `ccp help <command>` or `ccp <command> --help` for a command's options.",
    "Bare `ccp` on a terminal sets up the pool when it is empty and shows its status otherwise.",
  ].join("\n");
}
