// A closed or full stdout, and stray signals to the `ccp run` shim. A reader that went away ends
// the command quietly with 0 (as other CLIs do); a full disk is a clear error (exit 1), never a
// stack. Any catchable signal sent to the shim alone reaches claude or is ignored: the shim never
// dies while claude runs, and the session row is always closed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { FORWARDED_SIGNALS, IGNORED_SIGNALS } from "../../src/app/shim.ts";
import { openDb } from "../../src/store/db.ts";
import { CLI_ENTRY, baseEnv, runCli, tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let pool: TestPool;
const spawned: Array<ReturnType<typeof Bun.spawn>> = [];
const summary = { pipes: 0, pipeFailures: 0, full: 0, fullFailures: 0, signals: 0, signalFailures: 0 };

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(fake, [
    { name: "calm", util5Pct: 15, util7Pct: 10 },
    { name: "busy", util5Pct: 75, util7Pct: 60 },
  ]);
});
afterAll(async () => {
  for (const p of spawned) if (p.exitCode === null) p.kill("SIGKILL");
  await fake.stop();
  console.log(
    `broken pipes: ${summary.pipes} pipelines, ${summary.pipeFailures} failures (exit 0, nothing on stderr)`,
  );
  console.log(`full disk: ${summary.full} commands on /dev/full, ${summary.fullFailures} failures`);
  console.log(
    `signals to the shim: ${summary.signals} signals, ${summary.signalFailures} failures (shim alive, claude got the forwarded ones, session closed)`,
  );
});

const STACK = /^\s+at .+:\d+/m;

/** Runs `ccp <args>` into a pipe whose reader has already exited, in bash, and reports ccp's status. */
async function intoClosedPipe(args: string[], reader = "true") {
  const script = `{ sleep 0.3; exec "$@"; } | ${reader}; echo "ccp-exit=\${PIPESTATUS[0]}" >&2`;
  const r = await runCli(["-c", script, "bash", process.execPath, CLI_ENTRY, ...args], {
    bin: "bash",
    env: pool.vars,
    timeoutMs: 20_000,
  });
  const exit = Number(/ccp-exit=(\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  return { exit, stderr: r.stderr.replace(/ccp-exit=\d+\n/, "") };
}

describe("broken pipes", () => {
  const cases: Array<[string, string[], string?]> = [
    ["ccp env | true", ["env"]],
    ["ccp list | true", ["list"]],
    ["ccp list --json | true", ["list", "--json"]],
    ["ccp select | true", ["select"]],
    ["ccp status --plain | true", ["status", "--plain"]],
    ["ccp completion zsh | true", ["completion", "zsh"]],
    ["ccp help | true", ["help"]],
    ["ccp status -w | head -1", ["status", "-w", "--interval", "1s"], "head -1 >/dev/null"],
    ["ccp status -w --json | head -1", ["status", "-w", "--json", "--interval", "1s"], "head -1 >/dev/null"],
  ];
  for (const [label, args, reader] of cases) {
    test(label, async () => {
      summary.pipes++;
      const r = await intoClosedPipe(args, reader);
      const ok = r.exit === 0 && r.stderr === "";
      if (!ok) summary.pipeFailures++;
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).toBe("");
      expect(r.exit).toBe(0);
    });
  }
});

describe("stdout on a full disk", () => {
  const cases: Array<[string, string[]]> = [
    ["select", ["select"]],
    ["status --plain", ["status", "--plain"]],
    ["list --json", ["list", "--json"]],
    ["env", ["env"]],
    ["--version", ["--version"]],
  ];
  for (const [label, args] of cases) {
    test(label, async () => {
      summary.full++;
      const proc = Bun.spawn([process.execPath, CLI_ENTRY, ...args], {
        env: baseEnv(pool.vars),
        cwd: tempDir("cwd-"),
        stdin: "ignore",
        stdout: Bun.file("/dev/full"),
        stderr: "pipe",
      });
      spawned.push(proc);
      const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      const ok = code === 1 && /no space left on device/.test(stderr) && !STACK.test(stderr);
      if (!ok) summary.fullFailures++;
      expect(stderr).not.toMatch(STACK);
      expect(stderr).toContain("Could not write the output to standard output: no space left on device");
      expect(code).toBe(1);
    });
  }
});

function sessionRows(): Array<{ ended: number | null; exit_code: number | null }> {
  const db = openDb(join(pool.vars.CCP_HOME as string, "pool.db"));
  try {
    return db
      .query<{ ended: number | null; exit_code: number | null }, []>(
        "SELECT ended_at_ms AS ended, exit_code FROM sessions WHERE kind = 'run' ORDER BY id",
      )
      .all();
  } finally {
    db.close();
  }
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe("signals to the shim", () => {
  const signals = FORWARDED_SIGNALS.filter((s) => (osConstants.signals as Record<string, number>)[s]);

  test("every catchable signal sent to the shim alone reaches claude; the shim waits, returns claude's status and closes the session", async () => {
    const dir = tempDir("sig-");
    const ready = join(dir, "ready");
    const got = join(dir, "got");
    const stop = join(dir, "stop");
    const claude = join(dir, "claude");
    // A claude that catches everything it is sent and says so, and exits 7 when told to.
    const traps = signals.map((s) => `trap 'echo ${s} >> "${got}"' ${s.slice(3)}`).join("\n");
    writeFileSync(
      claude,
      `#!/bin/sh\n${traps}\necho $$ > "${ready}"\ni=0\nwhile [ ! -e "${stop}" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\nexit 7\n`,
      { mode: 0o755 },
    );
    const before = sessionRows().length;
    const shim = Bun.spawn([process.execPath, CLI_ENTRY, "run"], {
      env: baseEnv({ ...pool.vars, CCP_CLAUDE_BIN: claude }),
      cwd: tempDir("cwd-"),
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    spawned.push(shim);
    await waitFor(() => existsSync(ready), "claude to start");
    const delivered = (): string[] =>
      existsSync(got) ? readFileSync(got, "utf8").split("\n").filter(Boolean) : [];
    for (const signal of signals) {
      summary.signals++;
      const count = delivered().length;
      shim.kill((osConstants.signals as Record<string, number>)[signal]);
      try {
        await waitFor(
          () => delivered().length > count || shim.exitCode !== null,
          `${signal} to reach claude`,
        );
      } catch {}
      const ok = shim.exitCode === null && delivered().at(-1) === signal;
      if (!ok) summary.signalFailures++;
      expect({ signal, shimAlive: shim.exitCode === null, claudeGot: delivered().at(-1) }).toEqual({
        signal,
        shimAlive: true,
        claudeGot: signal,
      });
    }
    // Ignored ones (SIGINT: the terminal gives Ctrl-C to claude itself) leave the shim waiting.
    for (const signal of IGNORED_SIGNALS.filter((s) => (osConstants.signals as Record<string, number>)[s])) {
      summary.signals++;
      process.kill(shim.pid, (osConstants.signals as Record<string, number>)[signal]);
      await Bun.sleep(300);
      if (shim.exitCode !== null) summary.signalFailures++;
      expect({ signal, shimAlive: shim.exitCode === null }).toEqual({ signal, shimAlive: true });
    }
    writeFileSync(stop, "");
    const code = await shim.exited;
    expect(code).toBe(7);
    const rows = sessionRows().slice(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.ended).not.toBeNull();
    expect(rows[0]?.exit_code).toBe(7);
  }, 60_000);
});
