import { visibleWidth } from "../table.ts";

export { padEnd, padStart, visibleWidth } from "../table.ts";

const ANSI = /\u001B\[[0-9;]*m/y;

/**
 * Cuts `text` to at most `width` visible characters, ending with "…" when something was cut.
 * Colour codes are kept and closed, so a cut never bleeds colour into the next line.
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  if (visibleWidth(text) <= width) return text;
  let out = "";
  let shown = 0;
  let styled = false;
  let i = 0;
  while (i < text.length && shown < width - 1) {
    ANSI.lastIndex = i;
    const code = ANSI.exec(text);
    if (code) {
      out += code[0];
      styled = true;
      i += code[0].length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i) as number);
    out += ch;
    shown++;
    i += ch.length;
  }
  return `${out}…${styled ? "\u001B[0m" : ""}`;
}

/** Lays out two pieces on one line, `right` flush right; `left` is cut to make room for it. */
export function spread(left: string, right: string, width: number): string {
  const rightWidth = visibleWidth(right);
  if (right === "" || rightWidth + 12 > width) return fit(left, width);
  const cut = fit(left, width - rightWidth - 2);
  return `${cut}${" ".repeat(width - visibleWidth(cut) - rightWidth)}${right}`;
}

/** Joins items with `sep`, keeping only as many leading items as fit in `width`. */
export function joinFitting(items: string[], sep: string, width: number): string {
  let out = "";
  for (const item of items) {
    const next = out === "" ? item : `${out}${sep}${item}`;
    if (visibleWidth(next) > width) break;
    out = next;
  }
  return out === "" ? fit(items[0] ?? "", width) : out;
}
