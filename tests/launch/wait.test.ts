// `ccp select --wait`: re-samples live while it waits (even with a daemon up), returns as soon as
// headroom shows, and says so in one line: a spinner updating in place on a terminal, one plain
// line otherwise.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { DAEMON_HEARTBEAT_KEY, setMeta } from "../../src/store/meta.ts";
import { CLI_ENTRY, baseEnv, runCli } from "../helpers/cli.ts";
import { type FakeAnthropic, USAGE_PATH, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { makePool, usagePayload } from "../helpers/pool.ts";
import { killAllTmux, occurrences, startTmux } from "../helpers/tmux.ts";
import { waitFor } from "../helpers/daemon.ts";

setDefaultTimeout(40_000);

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});
afterEach(() => {
  killAllTmux();
});

/** A daemon that looks alive for a while: the old --wait only re-read what it cached. */
function daemonAlive(ccpHome: string): void {
  const db = openDb(join(ccpHome, "pool.db"));
  try {
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(Date.now() + 60_000));
  } finally {
    db.close();
  }
}

const HOUR_MS = 3_600_000;

function full(): unknown {
  return usagePayload(100, 50, 3 * HOUR_MS);
}

describe("ccp select --wait", () => {
  test("without a terminal: one line, live re-samples, returns once headroom appears", async () => {
    const pool = await makePool(fake, [{ name: "only" }], { CCP_POLL_INTERVAL: "1s" });
    const [account] = pool.accounts;
    const token = account?.token.accessToken as string;
    fake.setUsage(token, full());
    const ccpHome = pool.vars.CCP_HOME as string;
    // Sampled once (so it is known to be full), then a "daemon" keeps the data.
    const first = await runCli(["status", "--json"], { env: pool.vars });
    expect(JSON.parse(first.stdout).accounts[0].exhausted).toBe(true);
    daemonAlive(ccpHome);
    fake.clearRequests();
    const proc = Bun.spawn([process.execPath, CLI_ENTRY, "select", "--wait"], {
      env: baseEnv(pool.vars),
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    try {
      await waitFor("two live samples while waiting", () => {
        if (proc.exitCode !== null) throw new Error(`select --wait ended early (${proc.exitCode})`);
        return fake.requests.filter((q) => q.path === USAGE_PATH).length >= 2 ? true : undefined;
      });
      fake.setUsage(token, usagePayload(10, 50));
      const code = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => -1)]);
      expect(code).toBe(0);
      const [stdout, stderr] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
      ]);
      expect(stdout).toBe(`${account?.configDir}\n`);
      expect(occurrences(stderr, "Every account is exhausted; waiting for headroom")).toBe(1);
      expect(stderr).toContain("soonest reset only");
      expect(stderr.split("\n").filter(Boolean)).toHaveLength(1);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  });

  test("on a terminal: one spinner line that updates in place", async () => {
    const pool = await makePool(fake, [{ name: "only" }], { CCP_POLL_INTERVAL: "1s" });
    const token = pool.accounts[0]?.token.accessToken as string;
    fake.setUsage(token, full());
    const session = startTmux({
      cmd: [process.execPath, CLI_ENTRY, "select", "--wait"],
      env: baseEnv({ ...pool.vars, TERM: "xterm-256color" }),
      width: 160,
    });
    await session.waitFor("waiting for headroom");
    // Several redraws and at least one more live sample later, still one line.
    const before = fake.requests.length;
    await waitFor("another live sample", () => (fake.requests.length > before + 1 ? true : undefined));
    const screen = session.screen();
    expect(occurrences(screen, "waiting for headroom")).toBe(1);
    expect(screen).toMatch(
      /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Every account is exhausted; waiting for headroom · soonest reset only /,
    );
    fake.setUsage(token, usagePayload(10, 50));
    expect(await session.waitForExit(20_000)).toBe(0);
    const end = session.screen();
    expect(end).toContain(pool.accounts[0]?.configDir as string);
    expect(end).not.toContain("waiting for headroom");
  });
});
