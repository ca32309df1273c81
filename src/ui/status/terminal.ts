// The terminal side of the dashboard: raw mode, the alternate screen, keys, resize and restore.
// The screen is restored on every way out: a key, a signal, an error (finally), and process exit.
import { writeSync } from "node:fs";
import type { StatusModel } from "../../app/status.ts";
import type { Clock } from "./clock.ts";
import { parseKeys } from "./keys.ts";
import { type DashboardView, renderDashboard } from "./render.ts";
import { INITIAL_VIEW, reconcile, reduceKey } from "./state.ts";
import { visibleWidth } from "./text.ts";

const ENTER_ALT_SCREEN = "\u001b[?1049h";
const LEAVE_ALT_SCREEN = "\u001b[?1049l";
const HIDE_CURSOR = "\u001b[?25l";
const SHOW_CURSOR = "\u001b[?25h";
const HOME = "\u001b[H";
const CLEAR_SCREEN = "\u001b[2J";
const CLEAR_LINE_END = "\u001b[K";
const CLEAR_BELOW = "\u001b[J";

export interface TtyInput {
  setRawMode(mode: boolean): unknown;
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  off(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface TtyOutput {
  columns?: number;
  rows?: number;
  /** When set, the exit hook restores the terminal with a synchronous write to it. */
  fd?: number;
  write(text: string): unknown;
  on(event: "resize", listener: () => void): unknown;
  off(event: "resize", listener: () => void): unknown;
}

/** Where the dashboard gets its data and performs its effects; built by the command. */
export interface DashboardSource {
  load(nowMs: number): StatusModel;
  /** The `p` key; returns the line to show. */
  pin(accountId: number, model: StatusModel, nowMs: number): string;
  /** How many accounts are due for a background sample (0 while a daemon keeps data fresh). */
  due(nowMs: number): number;
  /** Samples every account (`force`) or the due ones; resolves to the line to show. */
  sample(force: boolean, signal: AbortSignal): Promise<string>;
  /** The `l` key: note that this account should be logged in again once the dashboard has closed. */
  requestLogin?(accountId: number): void;
}

export interface RunDashboardOptions {
  input: TtyInput;
  output: TtyOutput;
  color: boolean;
  clock: Clock;
  /** How often the database is read again. */
  pollMs?: number;
  /** Sample every account once at the start (`--live`). */
  sampleFirst?: boolean;
  /** A line to show in the footer at the start (what happened while the dashboard was closed). */
  message?: string;
  now?: () => number;
}

/** Owns the terminal modes; `restore` is idempotent and safe to call from an exit hook. */
export class TerminalScreen {
  private active = false;

  constructor(
    private readonly input: TtyInput,
    private readonly output: TtyOutput,
  ) {}

  enter(): void {
    this.active = true;
    this.output.write(ENTER_ALT_SCREEN + HIDE_CURSOR + CLEAR_SCREEN + HOME);
    this.input.setRawMode(true);
    this.input.resume();
  }

  /** Writes a frame over the previous one, line by line, without clearing the screen first. */
  draw(frame: string, clearFirst: boolean): void {
    const columns = this.output.columns ?? 80;
    // A line that fills the row must not get a clear-to-end: some terminals would erase its last cell.
    const body = frame
      .split("\n")
      .map((line) => (visibleWidth(line) < columns ? line + CLEAR_LINE_END : line))
      .join("\r\n");
    this.output.write((clearFirst ? CLEAR_SCREEN : "") + HOME + body + CLEAR_BELOW);
  }

  restore(sync = false): void {
    if (!this.active) return;
    this.active = false;
    try {
      this.input.setRawMode(false);
    } catch {
      // The terminal may already be gone (hang-up); nothing left to restore on it.
    }
    this.input.pause();
    const text = SHOW_CURSOR + LEAVE_ALT_SCREEN;
    if (sync && this.output.fd !== undefined) {
      try {
        writeSync(this.output.fd, text);
      } catch {
        // Same: a closed terminal cannot be restored.
      }
    } else {
      this.output.write(text);
    }
  }
}

const SIGNAL_EXIT_CODES: Array<[NodeJS.Signals, number]> = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
];

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs the dashboard until a quit key or a signal; resolves to the exit code. */
export async function runDashboard(source: DashboardSource, options: RunDashboardOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const { input, output } = options;
  const screen = new TerminalScreen(input, output);
  const onExit = () => screen.restore(true);
  // Quitting must not wait for a usage request still in flight.
  const abort = new AbortController();

  let finish: (code: number) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  let finished = false;
  let model = source.load(now());
  let view: DashboardView = reconcile({ ...INITIAL_VIEW, message: options.message ?? null }, model);
  let lastFrame = "";

  const draw = (clearFirst = false) => {
    const frame = renderDashboard(model, view, {
      width: output.columns ?? 80,
      height: output.rows ?? 24,
      color: options.color,
      clock: options.clock,
    });
    if (frame === lastFrame && !clearFirst) return;
    lastFrame = frame;
    screen.draw(frame, clearFirst);
  };
  const guard =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      if (finished) return;
      try {
        fn(...args);
      } catch (error) {
        finished = true;
        fail(error);
      }
    };
  const reload = () => {
    model = source.load(now());
    view = reconcile(view, model);
  };
  const startSample = (force: boolean, announce: boolean) => {
    view = { ...view, sampling: true };
    draw();
    source.sample(force, abort.signal).then(
      guard((message: string) => {
        view = { ...view, sampling: false, message: announce ? message : view.message };
        reload();
        draw();
      }),
      guard((error: unknown) => {
        view = { ...view, sampling: false, message: `Sampling failed: ${errorText(error)}` };
        draw();
      }),
    );
  };
  const tick = guard(() => {
    reload();
    if (!view.sampling && source.due(now()) > 0) startSample(false, false);
    draw();
  });
  const onData = guard((chunk: Buffer | string) => {
    for (const key of parseKeys(chunk.toString())) {
      const { view: next, effect } = reduceKey(view, key, model);
      view = next;
      if (effect.kind === "quit") {
        finished = true;
        finish(effect.exitCode);
        return;
      }
      if (effect.kind === "pin") {
        view = { ...view, message: source.pin(effect.accountId, model, now()) };
        reload();
      }
      if (effect.kind === "sample") startSample(true, true);
      if (effect.kind === "login" && source.requestLogin) {
        // The login needs the plain terminal: close the dashboard; the command reopens it after.
        source.requestLogin(effect.accountId);
        finished = true;
        finish(0);
        return;
      }
    }
    draw();
  });
  const onResize = guard(() => draw(true));
  const signalHandlers = SIGNAL_EXIT_CODES.map(([signal, code]) => {
    const handler = () => {
      if (finished) return;
      finished = true;
      finish(code);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  // An error thrown from any callback ends the dashboard like a failed read: screen first, then report.
  const onCrash = (error: unknown) => {
    if (finished) return;
    finished = true;
    fail(error);
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  process.on("exit", onExit);
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    screen.enter();
    input.on("data", onData);
    output.on("resize", onResize);
    timer = setInterval(tick, options.pollMs ?? 1000);
    if (options.sampleFirst) startSample(true, false);
    else tick();
    draw();
    return await done;
  } finally {
    finished = true;
    abort.abort();
    if (timer) clearInterval(timer);
    input.off("data", onData);
    output.off("resize", onResize);
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
    screen.restore();
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    process.off("exit", onExit);
  }
}
