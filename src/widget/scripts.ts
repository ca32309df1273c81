// The small shell scripts the bars run. They hold no formatting of their own: they call
// `ccp widget --render <format>`, pass its output through when it looks right, and otherwise print
// `cc-pool ?`, so a broken or missing ccp never breaks the bar.
import { FALLBACK_TEXT, type WidgetFormat } from "./render.ts";

/** Second line of every script; `ccp widget --uninstall` removes only files that carry it. */
export const WIDGET_MARKER =
  "# cc-pool widget script: written by `ccp widget`, removed by `ccp widget --uninstall`.";

/** Bars run the scripts every minute: SwiftBar and xbar read the `1m` in the file name. */
export const REFRESH_SECONDS = 60;
export const MENUBAR_PLUGIN_NAME = "cc-pool.1m.sh";

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface ScriptOptions {
  /** How to run ccp: absolute paths, e.g. ["/opt/homebrew/opt/cc-pool/bin/ccp"]. */
  ccpCommand: readonly string[];
  /** Pinned into the script: bars start it without the user's shell environment. */
  ccpHome: string;
}

function lines(...parts: string[]): string {
  return `${parts.join("\n")}\n`;
}

function fallback(format: WidgetFormat): string {
  switch (format) {
    case "swiftbar":
      return [
        FALLBACK_TEXT,
        "---",
        "ccp did not answer: run `ccp doctor` in a terminal | color=gray",
        "---",
        "Refresh | refresh=true",
      ]
        .map(shellQuote)
        .join(" ");
    case "waybar":
      return shellQuote(
        JSON.stringify({
          text: FALLBACK_TEXT,
          alt: "error",
          tooltip: "ccp did not answer: run ccp doctor in a terminal",
          class: "error",
        }),
      );
    case "polybar":
      return shellQuote(FALLBACK_TEXT);
  }
}

/** A `case` pattern the output must match to be shown. */
function accepted(format: WidgetFormat): string {
  switch (format) {
    // The title line, then the menu after a `---` line.
    case "swiftbar":
      return `'ccp '*"$nl---$nl"*`;
    // One JSON object on one line.
    case "waybar":
      return `'{"text":'*'}'`;
    case "polybar":
      return `'ccp '*`;
  }
}

const HEADERS: Record<WidgetFormat, string[]> = {
  swiftbar: [
    "# Menu-bar plugin for SwiftBar or xbar: pool headroom in the title, one line per account below.",
    "# <xbar.title>cc-pool</xbar.title>",
    "# <xbar.desc>Headroom of your pooled Claude subscriptions</xbar.desc>",
    "# <xbar.dependencies>cc-pool</xbar.dependencies>",
    "# <swiftbar.hideRunInTerminal>true</swiftbar.hideRunInTerminal>",
  ],
  waybar: ["# Waybar custom module (return-type json): pool headroom, with every account in the tooltip."],
  polybar: ["# Polybar custom/script module: pool headroom and the account the next launch would use."],
};

export function widgetScript(format: WidgetFormat, options: ScriptOptions): string {
  const ccp = options.ccpCommand.map(shellQuote).join(" ");
  // Only the swiftbar output spans lines; for the others a newline means the output is wrong.
  const multiLine = format === "swiftbar" ? [] : [`  *"$nl"*) ;;`];
  return lines(
    "#!/bin/sh",
    WIDGET_MARKER,
    ...HEADERS[format],
    `CCP_HOME=${shellQuote(options.ccpHome)}`,
    "export CCP_HOME",
    "nl='",
    "'",
    `if out=$(${ccp} widget --render ${format} 2>/dev/null); then`,
    // $(…) drops the final newline; the swiftbar pattern wants it back after the last line.
    `  case ${format === "swiftbar" ? '"$out$nl"' : '"$out"'} in`,
    ...multiLine.map((l) => `  ${l}`),
    `    ${accepted(format)}) printf '%s\\n' "$out"; exit 0 ;;`,
    "  esac",
    "fi",
    `printf '%s\\n' ${fallback(format)}`,
  );
}
