import pc from "picocolors";

export type Colors = ReturnType<typeof pc.createColors>;

let enabled: boolean | undefined;

/** Colour is decided once: only on a terminal, never with NO_COLOR, TERM=dumb or --no-color. */
export function colorEnabled(stream: { isTTY?: boolean } = process.stderr): boolean {
  if (enabled !== undefined) return enabled;
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

export function setColorEnabled(value: boolean): void {
  enabled = value;
}

export function colors(stream: { isTTY?: boolean } = process.stderr): Colors {
  return pc.createColors(colorEnabled(stream));
}
