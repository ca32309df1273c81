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

const UNSAFE_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;
const MESSAGE_MAX_CHARS = 4000;

/**
 * A whole message (an error and its hint) made safe as a last line of defence: line breaks are
 * kept, every other unsafe character escaped, and the length bounded.
 */
export function safeMessage(text: string): string {
  const cut = text.length > MESSAGE_MAX_CHARS ? `${text.slice(0, MESSAGE_MAX_CHARS)}… (cut)` : text;
  return cut.replace(UNSAFE_BUT_NEWLINE, escapeChar);
}

/** The fields of a status model that come from outside, for a renderer to escape in one place. */
interface UntrustedStatusFields {
  cwd: string;
  warning: string | null;
  accounts: { name: string; email: string | null; orgName: string | null }[];
}

/**
 * A copy of a status model with every outside string escaped, for the terminal renderers (the
 * plain table and the dashboard); the JSON output keeps the data as it is.
 */
export function terminalSafeModel<T extends UntrustedStatusFields>(model: T): T {
  return {
    ...model,
    cwd: safeText(model.cwd),
    warning: model.warning === null ? null : safeText(model.warning),
    accounts: model.accounts.map((a) => ({
      ...a,
      name: safeText(a.name),
      email: a.email === null ? null : safeText(a.email),
      orgName: a.orgName === null ? null : safeText(a.orgName),
    })),
  };
}
