// `ccp status --watch`: reprints the plain table (or a JSON line) every interval until interrupted.
// On a terminal each frame overwrites the last in place; piped, frames follow one another.
import { visibleWidth } from "./text.ts";

export interface WatchOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface WatchOptions {
  intervalMs: number;
  output: WatchOutput;
  /** Piped frames are separated by a blank line (tables) or nothing (JSON lines). */
  separator: string;
}

const SIGNAL_EXIT_CODES: Array<[NodeJS.Signals, number]> = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
];

export async function runWatch(frame: () => Promise<string>, options: WatchOptions): Promise<number> {
  const { output } = options;
  let stopCode: number | null = null;
  let wake: () => void = () => {};
  const handlers = SIGNAL_EXIT_CODES.map(([signal, code]) => {
    const handler = () => {
      stopCode = code;
      wake();
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    let first = true;
    while (stopCode === null) {
      const text = await frame();
      if (stopCode !== null) break;
      if (output.isTTY) {
        const columns = output.columns ?? 80;
        const body = text
          .split("\n")
          .map((line) => (visibleWidth(line) < columns ? `${line}\u001b[K` : line))
          .join("\n");
        output.write(`${first ? "\u001b[2J" : ""}\u001b[H${body}\n\u001b[J`);
      } else {
        output.write(`${first ? "" : options.separator}${text}\n`);
      }
      first = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return stopCode ?? 0;
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
