// Raw terminal input → the dashboard's key names. One read can hold several keys ("\x1b[Aj").

export type KeyName =
  | "up"
  | "down"
  | "home"
  | "end"
  | "pin"
  | "sample"
  | "login"
  | "help"
  | "quit"
  | "escape"
  | "interrupt"
  | "other";

const SEQUENCES: Array<[string, KeyName]> = [
  ["\u001b[A", "up"],
  ["\u001bOA", "up"],
  ["\u001b[B", "down"],
  ["\u001bOB", "down"],
  ["\u001b[H", "home"],
  ["\u001bOH", "home"],
  ["\u001b[1~", "home"],
  ["\u001b[F", "end"],
  ["\u001bOF", "end"],
  ["\u001b[4~", "end"],
];

const SINGLE: Record<string, KeyName> = {
  k: "up",
  j: "down",
  g: "home",
  G: "end",
  p: "pin",
  r: "sample",
  l: "login",
  "?": "help",
  q: "quit",
  "\u0003": "interrupt",
};

// Any other CSI or SS3 sequence (other arrows, function keys, mouse reports) is skipped whole.
const OTHER_SEQUENCE = /^\u001b(?:\[[0-9;?]*[ -/]*[@-~]|O[@-~])/;

export function parseKeys(chunk: string): KeyName[] {
  const keys: KeyName[] = [];
  let i = 0;
  while (i < chunk.length) {
    const rest = chunk.slice(i);
    const known = SEQUENCES.find(([seq]) => rest.startsWith(seq));
    if (known) {
      keys.push(known[1]);
      i += known[0].length;
      continue;
    }
    if (rest.startsWith("\u001b")) {
      const other = OTHER_SEQUENCE.exec(rest);
      if (other) {
        keys.push("other");
        i += other[0].length;
        continue;
      }
      keys.push("escape");
      i += 1;
      continue;
    }
    const ch = String.fromCodePoint(rest.codePointAt(0) as number);
    keys.push(SINGLE[ch] ?? "other");
    i += ch.length;
  }
  return keys;
}
