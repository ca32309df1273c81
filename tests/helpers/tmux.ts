// Drives an interactive command inside a detached tmux session, the way a person sees it: keys go
// in with send-keys, the screen comes back with capture-pane. Each session runs on its own server
// (`tmux -L <socket>`), so killing it can never touch anyone else's tmux.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./cli.ts";

const POLL_MS = 100;
const TMUX_CALL_TIMEOUT_MS = 5000;
const DEFAULT_WAIT_MS = 10_000;
export const EXIT_MARKER = "[ccp exited ";

export interface TmuxStart {
  /** argv of the program to run (no shell quoting needed). */
  cmd: string[];
  /** The complete environment of the program: nothing else is inherited. */
  env: Record<string, string>;
  cwd?: string;
  width?: number;
  height?: number;
}

export type ScreenPattern = string | RegExp | ((screen: string) => boolean);

function matches(pattern: ScreenPattern, screen: string): boolean {
  if (typeof pattern === "string") return screen.includes(pattern);
  if (pattern instanceof RegExp) return pattern.test(screen);
  return pattern(screen);
}

/** How many times `text` appears in `screen`. */
export function occurrences(screen: string, text: string): number {
  return screen.split(text).length - 1;
}

export interface TmuxSession {
  readonly socket: string;
  /** Everything shown so far (scrollback and screen), trailing blank lines dropped. */
  screen(): string;
  /** Polls the screen until it shows `pattern`; fails with the last screen after the timeout. */
  waitFor(pattern: ScreenPattern, timeoutMs?: number): Promise<string>;
  /** tmux key names: `Enter`, `Down`, `C-c`, `C-u`, ... */
  keys(...names: string[]): void;
  /** Types text literally. */
  type(text: string): void;
  /** Waits for the program to end and returns its exit status (from the wrapper's marker). */
  waitForExit(timeoutMs?: number): Promise<number>;
  kill(): void;
}

const live = new Set<TmuxSession>();
let counter = 0;

function tmux(socket: string, args: string[]): { code: number; stdout: string; stderr: string } {
  // Bounded: a wedged tmux must fail the test, not hang the whole run.
  const r = Bun.spawnSync(["tmux", "-L", socket, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    timeout: TMUX_CALL_TIMEOUT_MS,
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function must(socket: string, args: string[]): string {
  const r = tmux(socket, args);
  if (r.code !== 0) throw new Error(`tmux ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Starts `cmd` in a new detached session of a private tmux server. The program runs under `sh`,
 * which survives Ctrl-C (a trap, so the program itself still gets the default SIGINT), prints the
 * exit status as a marker and then waits, so the last screen stays readable.
 */
export function startTmux(opts: TmuxStart): TmuxSession {
  const socket = `ccp-test-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const conf = join(tempDir("tmux-"), "tmux.conf");
  writeFileSync(conf, "set -g history-limit 5000\nset -g status off\n");
  const envArgs = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
  const script = `trap true INT; "$@"; echo "${EXIT_MARKER}$?]"; exec sleep 600`;
  must(socket, [
    "-f",
    conf,
    "new-session",
    "-d",
    "-x",
    String(opts.width ?? 120),
    "-y",
    String(opts.height ?? 40),
    ...(opts.cwd ? ["-c", opts.cwd] : []),
    "env",
    "-i",
    ...envArgs,
    "/bin/sh",
    "-c",
    script,
    "sh",
    ...opts.cmd,
  ]);

  let killed = false;
  const session: TmuxSession = {
    socket,
    screen() {
      const out = tmux(socket, ["capture-pane", "-p", "-S", "-"]).stdout;
      return out.replace(/\s+$/, "");
    },
    async waitFor(pattern, timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = session.screen();
        if (matches(pattern, screen)) return screen;
        if (Date.now() > deadline) {
          throw new Error(`Timed out waiting for ${String(pattern)} on the screen:\n${screen}`);
        }
        await Bun.sleep(POLL_MS);
      }
    },
    keys(...names) {
      must(socket, ["send-keys", ...names]);
    },
    type(text) {
      must(socket, ["send-keys", "-l", text]);
    },
    async waitForExit(timeoutMs = DEFAULT_WAIT_MS) {
      const screen = await session.waitFor(/\[ccp exited \d+\]/, timeoutMs);
      const m = /\[ccp exited (\d+)\]/.exec(screen);
      return Number(m?.[1]);
    },
    kill() {
      if (killed) return;
      killed = true;
      live.delete(session);
      // The pane's shell leads its own process group, which holds ccp and any claude it started.
      const [pidText, socketPath] = tmux(socket, ["display-message", "-p", "#{pane_pid}\n#{socket_path}"])
        .stdout.trim()
        .split("\n");
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 1) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      tmux(socket, ["kill-server"]);
      // tmux leaves its socket file behind when the server is killed.
      if (socketPath?.endsWith(socket)) rmSync(socketPath, { force: true });
    },
  };
  live.add(session);
  return session;
}

/** Kills every session started by this process that is still running (for afterEach). */
export function killAllTmux(): void {
  for (const session of [...live]) session.kill();
}
