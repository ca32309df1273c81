// Writes to stdout and stderr at the file-descriptor level. The first touch of process.stdout or
// process.stderr builds node's stream stack, 12–15 ms in a compiled binary; the hot path never pays
// it. Measured here (compiled, --minify --bytecode, medians): console.log 3.3 ms, Bun.write 3.7 ms,
// fs.writeSync 5.0 ms, process.stdout.write 14.8 ms. console.log swallows EPIPE and ENOSPC, so it
// cannot report a full disk; Bun.write loops over partial writes, waits out a non-blocking pipe and
// reports every error, so it is the one used. It is asynchronous: writes are chained so stdout and
// stderr keep their order, and flushOutput() awaits the chain.

type Fd = 1 | 2;

const closed: Record<Fd, boolean> = { 1: false, 2: false };
let chain: Promise<void> = Promise.resolve();
const ttyCache = new Map<number, boolean>();
let ttyCheck: ((fd: number) => boolean) | undefined;

function loadTtyCheck(): (fd: number) => boolean {
  // The same isatty(3) node:tty calls, without loading node:tty (which pulls in node:net, ~4 ms).
  try {
    const binding = (process as unknown as { binding(name: string): { isTTY?: unknown } }).binding(
      "tty_wrap",
    );
    const isTTY = binding.isTTY;
    if (typeof isTTY === "function") return (fd) => Boolean(isTTY(fd));
  } catch {
    // fall through to node:tty
  }
  const { isatty } = require("node:tty") as typeof import("node:tty");
  return isatty;
}

/** isatty(fd), without building a stream. */
export function isTerminal(fd: number): boolean {
  let answer = ttyCache.get(fd);
  if (answer === undefined) {
    ttyCheck ??= loadTtyCheck();
    answer = ttyCheck(fd);
    ttyCache.set(fd, answer);
  }
  return answer;
}

function errorCode(error: unknown): string {
  return String((error as { code?: unknown } | null)?.code ?? "");
}

/** Exits at once, without the stack: the reader went away (exit 0) or the output cannot be written. */
function onWriteError(fd: Fd, error: unknown): void {
  closed[fd] = true;
  const code = errorCode(error);
  // stderr has nowhere to report to; the work (a launch, a check-in) goes on without messages.
  if (fd === 2) return;
  if (code === "EPIPE" || code === "ECONNRESET") {
    // `ccp list | head -1`: the reader has what it wanted. Like other CLIs, end quietly with 0.
    process.exit(0);
  }
  const reason =
    code === "ENOSPC"
      ? "no space left on device"
      : code === "EIO"
        ? "input/output error"
        : code === "EBADF"
          ? "it is closed"
          : (error as Error)?.message || "unknown error";
  const message = `✖ Could not write the output to standard output: ${reason}${code ? ` (${code})` : ""}.\n  Send it somewhere with free space, e.g. \`ccp … > file\` on another disk.\n`;
  if (!closed[2]) {
    try {
      require("node:fs").writeSync(2, message);
    } catch {
      // nothing left to tell
    }
  }
  process.exit(1);
}

let pending = 0;

async function writeNow(fd: Fd, text: string): Promise<void> {
  if (closed[fd]) return;
  try {
    await Bun.write(fd === 1 ? Bun.stdout : Bun.stderr, text);
  } catch (error) {
    onWriteError(fd, error);
  }
}

function enqueue(fd: Fd, text: string): void {
  if (text === "" || closed[fd]) return;
  // With nothing pending the write starts now, synchronously for a terminal or a pipe, so it keeps
  // its place among writes made by other code (a prompt library, a child) in the same tick.
  const started = pending === 0 ? writeNow(fd, text) : chain.then(() => writeNow(fd, text));
  pending++;
  chain = started.finally(() => {
    pending--;
  });
}

/** Data for scripts: stdout. */
export function writeOut(text: string): void {
  enqueue(1, text);
}

/** Messages for people: stderr. */
export function writeErr(text: string): void {
  enqueue(2, text);
}

/** Resolves once everything written so far has reached its file descriptor. */
export function flushOutput(): Promise<void> {
  return chain;
}

/** True once a write to fd failed (a closed pipe or a full disk); later writes are dropped. */
export function outputClosed(fd: Fd): boolean {
  return closed[fd];
}
