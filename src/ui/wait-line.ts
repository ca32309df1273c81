// The status of `ccp select --wait`: on a terminal one line that updates in place (a spinner, what
// it waits for, the soonest reset, the next check); otherwise a single line, written once.
import type { ScoredAccount } from "../score/types.ts";
import { clockAt, countdown, makeClock } from "./status/clock.ts";

const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const FRAME_MS = 120;

export interface WaitLine {
  update(wakeAtMs: number, ranked: readonly ScoredAccount[], recoveryAtMs: number | null): void;
  /** Clears the line (terminal) so the next message starts clean. */
  stop(): void;
}

/** What the wait is for, e.g. "work's 5h window resets 3:00 PM (in 12m)". */
export function waitText(
  ranked: readonly ScoredAccount[],
  recoveryAtMs: number | null,
  wakeAtMs: number,
  nowMs: number,
  clock = makeClock(),
): string {
  const lead = "Every account is exhausted; waiting for headroom";
  const who = ranked.find((a) => a.exhaustedUntilMs === recoveryAtMs || a.reset5AtMs === recoveryAtMs);
  const reset =
    recoveryAtMs === null
      ? "no reset time known"
      : `soonest reset ${who ? `${who.name} ` : ""}${clockAt(clock, recoveryAtMs, nowMs)} (${countdown(recoveryAtMs, nowMs)})`;
  return `${lead} · ${reset} · next check ${countdown(wakeAtMs, nowMs)}`;
}

export function createWaitLine(
  stream: { isTTY?: boolean; write(text: string): unknown },
  now: () => number = Date.now,
): WaitLine {
  let text: string | null = null;
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = (): void => {
    if (text === null) return;
    stream.write(`\r\u001b[2K${FRAMES[frame % FRAMES.length]} ${text}`);
    frame++;
  };
  return {
    update(wakeAtMs, ranked, recoveryAtMs) {
      const first = text === null;
      text = waitText(ranked, recoveryAtMs, wakeAtMs, now());
      if (!stream.isTTY) {
        if (first) stream.write(`${text.replace(/ · next check.*$/, "")}…\n`);
        return;
      }
      draw();
      if (timer === undefined) {
        timer = setInterval(draw, FRAME_MS);
        // The spinner must never keep the process alive on its own.
        timer.unref?.();
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (stream.isTTY && text !== null) stream.write("\r\u001b[2K");
    },
  };
}
