import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createFileStore } from "../../src/secrets/file-store.ts";
import type { RefreshOutcome } from "../../src/usage/refresh.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";

const ROUNDS = 50;
const WORKER = join(import.meta.dir, "refresh-race-worker.ts");

let fake: FakeAnthropic;
const running = new Set<Subprocess<"pipe", "pipe", "pipe">>();

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(async () => {
  for (const proc of running) proc.kill("SIGKILL");
  await Promise.all([...running].map((proc) => proc.exited));
  running.clear();
});
afterAll(async () => {
  await fake.stop();
});

interface Worker {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  nextLine(): Promise<string>;
}

function startWorker(configDir: string, lockPath: string): Worker {
  const proc = Bun.spawn([process.execPath, WORKER, configDir, lockPath, fake.tokenUrl], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env },
  });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return {
    proc,
    async nextLine(): Promise<string> {
      while (!buffered.includes("\n")) {
        const { done, value } = await reader.read();
        if (done) {
          const stderr = await new Response(proc.stderr).text();
          throw new Error(`race worker ended early (exit ${await proc.exited}): ${stderr.slice(0, 2000)}`);
        }
        buffered += decoder.decode(value, { stream: true });
      }
      const index = buffered.indexOf("\n");
      const line = buffered.slice(0, index);
      buffered = buffered.slice(index + 1);
      return line;
    },
  };
}

test(`two processes refreshing the same account at once: one network refresh per round, never invalid_grant (${ROUNDS} rounds)`, async () => {
  const store = createFileStore();
  const dir = mkdtempSync(join(process.env.CCP_TEST_ROOT!, "race-"));
  const configDir = join(dir, "accounts", "acct-01");
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const lockPath = join(dir, "locks", "acct-01.refresh.lock");

  const rounds: string[] = [];
  let invalidGrants = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const token = fake.issueToken({ label: `race-${round}`, expiresInMs: 2 * 60_000 });
    await store.write(configDir, {
      claudeAiOauth: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: token.expiresAt,
        scopes: ["user:inference", "user:profile"],
        subscriptionType: "max",
      },
      mcpOAuth: { keep: round },
    });
    const workers = [startWorker(configDir, lockPath), startWorker(configDir, lockPath)];
    for (const worker of workers) expect(await worker.nextLine()).toBe("ready");
    // Both contenders hold the same (about to expire) token before either is let go.
    for (const worker of workers) {
      worker.proc.stdin.write("go\n");
      await worker.proc.stdin.flush();
    }
    const outcomes = (await Promise.all(workers.map((w) => w.nextLine()))).map(
      (line) => JSON.parse(line) as RefreshOutcome,
    );
    await Promise.all(workers.map((w) => w.proc.exited));

    const chain = fake.chain(token.chainId);
    invalidGrants += chain.invalidGrantCount + outcomes.filter((o) => o.status === "needs-login").length;
    const blob = await store.read(configDir);
    const statuses = outcomes
      .map((o) => (o.status === "skipped-fresh" ? `skipped:${o.reason}` : o.status))
      .sort();
    rounds.push(
      JSON.stringify({
        statuses,
        networkRefreshes: chain.refreshCount,
        alive: chain.alive,
        storedIsCurrent: blob?.claudeAiOauth?.accessToken === chain.current.accessToken,
        storedRefreshIsCurrent: blob?.claudeAiOauth?.refreshToken === chain.current.refreshToken,
        otherFieldsKept: JSON.stringify(blob?.mcpOAuth) === JSON.stringify({ keep: round }),
      }),
    );
  }

  const expected = JSON.stringify({
    statuses: ["rotated", "skipped:rotated-elsewhere"],
    networkRefreshes: 1,
    alive: true,
    storedIsCurrent: true,
    storedRefreshIsCurrent: true,
    otherFieldsKept: true,
  });
  expect(invalidGrants).toBe(0);
  expect(rounds).toEqual(Array.from({ length: ROUNDS }, () => expected));
}, 60_000);
