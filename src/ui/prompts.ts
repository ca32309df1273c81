// The only module that uses @clack/prompts. Prompts draw on stderr (stdout is for data) and refuse
// to run without a terminal: clack would otherwise wait forever on a closed stdin.
import * as p from "@clack/prompts";
import { CcpError } from "../errors.ts";
import { colors } from "./color.ts";

const io = { input: process.stdin, output: process.stderr } as const;

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

function requireTty(question: string): void {
  if (!canPrompt()) {
    throw new CcpError("no-tty", `cc-pool needs an answer ("${question}") but this is not a terminal.`, {
      hint: "Run it in a terminal, or pass the flags that answer it (see `ccp help add`).",
    });
  }
}

function unwrap<T>(value: T | symbol): T {
  if (p.isCancel(value)) throw new CcpError("cancelled", "Cancelled.");
  return value as T;
}

export async function select<T extends string>(
  message: string,
  options: Array<{ value: T; label: string; hint?: string }>,
  initialValue?: T,
): Promise<T> {
  requireTty(message);
  // clack's Option type is conditional on T; the shape here is the primitive-value one.
  const opts = options as unknown as Parameters<typeof p.select<T>>[0]["options"];
  return unwrap<T>(await p.select<T>({ ...io, message, options: opts, initialValue }));
}

export async function confirm(message: string, initialValue = true): Promise<boolean> {
  requireTty(message);
  return unwrap<boolean>(await p.confirm({ ...io, message, initialValue }));
}

export async function text(
  message: string,
  options: { initialValue?: string; placeholder?: string; validate?: (v: string) => string | undefined } = {},
): Promise<string> {
  requireTty(message);
  const validate = options.validate;
  return unwrap<string>(
    await p.text({
      ...io,
      message,
      initialValue: options.initialValue,
      placeholder: options.placeholder,
      validate: validate ? (v) => validate(v ?? "") : undefined,
    }),
  );
}

export function intro(title: string): void {
  if (canPrompt()) p.intro(title, io);
}

export function outro(message: string): void {
  if (canPrompt()) p.outro(message, io);
}

export function note(message: string, title?: string): void {
  if (canPrompt()) p.note(message, title, io);
  else process.stderr.write(`${title ? `${title}\n` : ""}${message}\n`);
}

export interface Spinner {
  start(message: string): void;
  stop(message: string): void;
  fail(message: string): void;
}

export function spinner(): Spinner {
  if (!canPrompt()) {
    return {
      start: (m) => process.stderr.write(`${m}\n`),
      stop: (m) => process.stderr.write(`${m}\n`),
      fail: (m) => process.stderr.write(`${m}\n`),
    };
  }
  return terminalSpinner(process.stderr);
}

const SPINNER_FRAMES = ["◒", "◐", "◓", "◑"];
const SPINNER_FRAME_MS = 120;

/**
 * clack's spinner puts the terminal in raw mode and answers Ctrl-C with `process.exit(0)`, which
 * skips every cleanup and reports success. This one leaves the terminal cooked, so Ctrl-C arrives
 * as SIGINT for the caller to handle.
 */
function terminalSpinner(out: NodeJS.WriteStream): Spinner {
  const c = colors();
  let timer: ReturnType<typeof setInterval> | undefined;
  let frame = 0;
  let message = "";
  const draw = (): void => {
    out.write(
      `\r\u001B[2K${c.magenta(SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length] as string)}  ${message}`,
    );
  };
  const end = (symbol: string, text: string): void => {
    if (timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
    out.write(`\r\u001B[2K${symbol}  ${text}\n\u001B[?25h`);
  };
  return {
    start(m) {
      message = m;
      out.write(`${c.gray("│")}\n\u001B[?25l`);
      draw();
      timer = setInterval(draw, SPINNER_FRAME_MS);
    },
    stop: (m) => end(c.green("◇"), m),
    fail: (m) => end(c.red("■"), m),
  };
}
