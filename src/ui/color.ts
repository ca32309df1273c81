// Colour is decided here, once, from isatty(fd) and the environment. picocolors is the colour
// library, but it decides for itself at load time by reading process.stdout.isTTY, which builds
// node's stream stack (12–15 ms in a compiled binary). So it is required lazily, with its detection
// short-circuited, and only when colour is on; without colour the painters are the identity.
import type pc from "picocolors";
import { isTerminal } from "./output.ts";

export type Colors = ReturnType<typeof pc.createColors>;

let enabled: boolean | undefined;

/** A file descriptor, or (for older callers) anything with an `isTTY` flag or an `fd`. */
export type ColorTarget = number | { isTTY?: boolean; fd?: number };

function targetIsTerminal(target: ColorTarget): boolean {
  if (typeof target === "number") return isTerminal(target);
  if (typeof target.fd === "number") return isTerminal(target.fd);
  return Boolean(target.isTTY);
}

/** Colour only on a terminal, never with NO_COLOR, TERM=dumb or --no-color. */
export function colorEnabled(target: ColorTarget = 2): boolean {
  if (enabled !== undefined) return enabled;
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return env.TERM !== "dumb" && targetIsTerminal(target);
}

export function setColorEnabled(value: boolean): void {
  enabled = value;
}

let pico: { createColors(enabled: boolean): Colors } | undefined;
let plain: Colors | undefined;

function loadPicocolors(): { createColors(enabled: boolean): Colors } {
  // picocolors skips its process.stdout probe when NO_COLOR is set while it loads; we never use its
  // own verdict, only createColors(), so set it for the duration of the require.
  const saved = process.env.NO_COLOR;
  process.env.NO_COLOR = "1";
  try {
    return require("picocolors") as { createColors(enabled: boolean): Colors };
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
}

/** The painters for `on`: picocolors when colour is on, identity functions otherwise. */
export function createColors(on: boolean): Colors {
  if (on) {
    pico ??= loadPicocolors();
    return pico.createColors(true);
  }
  if (!plain) {
    const same = (input: unknown): string => String(input);
    const base: Record<string, unknown> = { isColorSupported: false };
    plain = new Proxy(base, {
      get: (target, key) => (key in target ? target[key as string] : same),
    }) as unknown as Colors;
  }
  return plain;
}

export function colors(target: ColorTarget = 2): Colors {
  return createColors(colorEnabled(target));
}
