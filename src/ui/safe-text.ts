// Strings cc-pool did not write itself (emails, org names, labels, account names, the cwd, argv)
// reach the terminal only through here: an escape sequence in an email could clear the screen,
// retitle the window or write the clipboard (OSC 52); a bidi override could reorder what is shown.

/**
 * C0 controls and DEL, C1 controls, bidi embeddings/overrides/isolates and marks, zero-width
 * characters, the BOM, and the line/paragraph separators.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;
const UNSAFE_TEST = new RegExp(UNSAFE.source);

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** True when `value` holds a character that `safeText` would escape. */
export function hasUnsafeText(value: string): boolean {
  return UNSAFE_TEST.test(value);
}

/**
 * `value` made safe to print: every control, bidi, zero-width and separator character is shown as
 * a visible escape (`\x1b`, `\u202e`), so nothing is hidden and nothing acts on the terminal.
 */
export function safeText(value: string): string {
  return value.replace(UNSAFE, escapeChar);
}

/** `safeText`, or a dash for a missing value. */
export function safeTextOr(value: string | null | undefined, missing = "-"): string {
  return value === null || value === undefined ? missing : safeText(value);
}

/** An argument echoed in an error message: quoted, escaped and cut to `maxChars`. */
export function quoteArg(value: string, maxChars = 60): string {
  const cut = value.length > maxChars;
  const shown = safeText(cut ? value.slice(0, maxChars) : value).replaceAll('"', '\\"');
  return cut ? `"${shown}…" (${value.length} characters)` : `"${shown}"`;
}
