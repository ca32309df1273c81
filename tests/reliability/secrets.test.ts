// No token issued by the (fake) Anthropic server may appear anywhere cc-pool writes or prints:
// not under CCP_HOME (except the credentials files Claude Code owns), not in any output, not in
// any process's command line while cc-pool works. And the pool's files are private.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type CliResult, runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { reapAll, startDaemon, waitFor } from "../helpers/daemon.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";

let fake: FakeAnthropic;
let pool: TestPool;
const outputs: CliResult[] = [];
let summary = "";

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(
    fake,
    [
      { name: "one", util5Pct: 10, util7Pct: 10 },
      { name: "two", util5Pct: 50, util7Pct: 10, expiresInMs: 30_000 },
    ],
    { PATH: pathWith(standInClaudeDir()) },
  );
});
afterAll(async () => {
  await reapAll();
  await fake.stop();
  console.log(summary);
});

/** Every access and refresh token the fake ever handed out for this pool's chains. */
function knownTokens(): string[] {
  const out = new Set<string>();
  for (const a of pool.accounts) {
    out.add(a.token.accessToken);
    out.add(a.token.refreshToken);
    const current = fake.chain(a.token.chainId).current;
    out.add(current.accessToken);
    out.add(current.refreshToken);
  }
  return [...out];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) out.push(...filesUnder(path));
    else if (st.isFile()) out.push(path);
  }
  return out;
}

function processCommandLines(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      out.push(readFileSync(`/proc/${pid}/cmdline`, "latin1"));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

describe("secrets", () => {
  test("tokens never leak into files, output or command lines; files are private", async () => {
    const env = pool.vars;
    const cwd = tempDir("work-");
    outputs.push(await runCli(["select", "--json", "--explain"], { env, cwd }));
    outputs.push(await runCli(["list", "--json"], { env }));
    outputs.push(await runCli(["list"], { env }));
    outputs.push(await runCli(["env"], { env }));
    outputs.push(await runCli(["select", "--no-daemon", "--fresh", "0s", "--verbose"], { env, cwd }));
    // Failures must not leak either: every fault mode on the usage endpoint.
    for (const mode of ["401", "429", "500", "malformed-json", "html", "truncated"] as const) {
      fake.fault(mode, { count: 4 });
      outputs.push(await runCli(["select", "--fresh", "0s", "--verbose"], { env, cwd: tempDir() }));
      fake.clearFaults();
    }
    // A launch on the account whose token is about to expire refreshes it (no daemon running),
    // while we watch every process's command line.
    let scans = 0;
    const seen: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push(...processCommandLines());
        scans++;
        await Bun.sleep(25);
      }
    })();
    outputs.push(
      await runCli(["run", "-p", "hi"], {
        env: { ...env, CCP_ACCOUNT: "two", FAKE_CLAUDE_SLEEP_MS: "800" },
        cwd,
      }),
    );
    outputs.push(await runCli(["run"], { env: { ...env, FAKE_CLAUDE_SLEEP_MS: "300" }, cwd: tempDir() }));
    watching = false;
    await watcher;
    expect(fake.chain(pool.accounts[1]?.token.chainId as string).refreshCount).toBe(1);

    const tokens = knownTokens();
    expect(tokens.length).toBe(6);
    const leaks: string[] = [];
    for (const [i, r] of outputs.entries()) {
      for (const t of tokens)
        if (r.stdout.includes(t) || r.stderr.includes(t)) leaks.push(`output of command ${i}`);
    }
    if (seen.some((line) => tokens.some((t) => line.includes(t)))) leaks.push("a process command line");
    const ccpHome = env.CCP_HOME as string;
    const files = filesUnder(ccpHome).filter((f) => !f.endsWith("/.credentials.json"));
    for (const f of files) {
      const text = readFileSync(f, "latin1");
      for (const t of tokens) if (text.includes(t)) leaks.push(f);
    }
    expect(leaks).toEqual([]);

    const modes: string[] = [];
    const mode = (p: string) => statSync(p).mode & 0o777;
    if (mode(ccpHome) !== 0o700) modes.push(`${ccpHome} ${mode(ccpHome).toString(8)}`);
    if (mode(join(ccpHome, "pool.db")) !== 0o600) modes.push("pool.db");
    for (const a of pool.accounts) {
      if (mode(a.configDir) !== 0o700) modes.push(a.configDir);
      if (mode(join(a.configDir, ".credentials.json")) !== 0o600)
        modes.push(`${a.configDir}/.credentials.json`);
    }
    expect(modes).toEqual([]);
    summary = `secrets: ${tokens.length} tokens checked against ${outputs.length} outputs, ${files.length} files, ${scans} process-table scans; ${leaks.length} leaks, ${modes.length} bad modes`;
  }, 90_000);

  test("while the daemon polls and refreshes, no token reaches its log, the database or a command line", async () => {
    const daemonPool = await makePool(fake, [
      { name: "d1", util5Pct: 10, util7Pct: 10, expiresInMs: 3 * 60_000 },
      { name: "d2", util5Pct: 20, util7Pct: 10 },
    ]);
    const home = daemonPool.vars.CCP_HOME as string;
    const seen: string[] = [];
    const daemon = startDaemon(daemonPool.vars, { CCP_POLL_INTERVAL: "500ms" });
    fake.fault("401", { count: 1 });
    await waitFor(
      "a refresh by the daemon",
      () => {
        seen.push(...processCommandLines());
        return fake.chain(daemonPool.accounts[0]?.token.chainId as string).refreshCount >= 1;
      },
      20_000,
    );
    for (let i = 0; i < 20; i++) {
      seen.push(...processCommandLines());
      await Bun.sleep(50);
    }
    daemon.proc.kill("SIGTERM");
    await daemon.proc.exited;
    const tokens = new Set<string>();
    for (const a of daemonPool.accounts) {
      const chain = fake.chain(a.token.chainId);
      for (const t of [
        a.token.accessToken,
        a.token.refreshToken,
        chain.current.accessToken,
        chain.current.refreshToken,
      ])
        tokens.add(t);
    }
    const leaks: string[] = [];
    for (const f of filesUnder(home).filter((f) => !f.endsWith("/.credentials.json"))) {
      const text = readFileSync(f, "latin1");
      for (const t of tokens) if (text.includes(t)) leaks.push(f);
    }
    if (seen.some((line) => [...tokens].some((t) => line.includes(t)))) leaks.push("a process command line");
    expect(readFileSync(join(home, "daemon.log"), "utf8").length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
    summary += `\nsecrets (daemon): ${tokens.size} tokens, daemon log and ${filesUnder(home).length} files scanned; ${leaks.length} leaks`;
  }, 60_000);
});
