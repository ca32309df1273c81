import { beforeEach, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { acquireLockDir, LOCK_PID_FILE } from "../../src/usage/lock-dir.ts";

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(process.env.CCP_TEST_ROOT!, "lock-"));
  path = join(dir, "locks", "acct-01.refresh.lock");
});

const own = (overrides: Partial<Parameters<typeof acquireLockDir>[0]> = {}) =>
  acquireLockDir({ path, staleMs: 60_000, waitMs: 50, pidFile: true, createParents: true, ...overrides });

function age(target: string, seconds: number): void {
  const thenS = Date.now() / 1000 - seconds;
  utimesSync(target, thenS, thenS);
}

async function deadPid(): Promise<number> {
  const proc = Bun.spawn(["true"]);
  await proc.exited;
  return proc.pid;
}

test("takes the lock with a pid file, refuses a second taker, and frees it on release", async () => {
  const first = await own();
  expect(first).not.toBeNull();
  expect(readFileSync(join(path, LOCK_PID_FILE), "utf8")).toStartWith(`${process.pid} `);
  expect((statSync(path).mode & 0o777).toString(8)).toBe("700");
  expect(await own()).toBeNull();
  await first!.release();
  expect(existsSync(path)).toBe(false);
  const again = await own();
  expect(again).not.toBeNull();
  await again!.release();
  await again!.release();
});

test("waits for a holder that lets go within the wait", async () => {
  const first = (await own())!;
  const waiting = own({ waitMs: 5000 });
  setTimeout(() => void first.release(), 50);
  const second = await waiting;
  expect(second).not.toBeNull();
  await second!.release();
});

test("takes over a lock whose mtime is older than staleMs", async () => {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, LOCK_PID_FILE), `${process.pid} other\n`);
  expect(await own()).toBeNull();
  age(path, 120);
  const lock = await own();
  expect(lock).not.toBeNull();
  await lock!.release();
});

test("takes over a lock whose pid is dead, but only when pid files are in use", async () => {
  const pid = await deadPid();
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, LOCK_PID_FILE), `${pid} gone\n`);
  expect(await own({ pidFile: false })).toBeNull();
  const lock = await own();
  expect(lock).not.toBeNull();
  expect(readFileSync(join(path, LOCK_PID_FILE), "utf8")).toStartWith(`${process.pid} `);
  await lock!.release();
});

test("a lock dir without a pid file yet is respected until it goes stale", async () => {
  mkdirSync(path, { recursive: true });
  expect(await own()).toBeNull();
  age(path, 61);
  const lock = await own();
  expect(lock).not.toBeNull();
  await lock!.release();
});

test("release leaves alone a lock that was taken over by another owner", async () => {
  const lock = (await own())!;
  writeFileSync(join(path, LOCK_PID_FILE), "4242 someone-else\n");
  await lock.release();
  expect(existsSync(path)).toBe(true);
});

test("a held lock is kept fresh, so others do not see it as stale", async () => {
  const lock = (await own({ staleMs: 600 }))!;
  await Bun.sleep(1000);
  expect(await own({ staleMs: 600, waitMs: 0 })).toBeNull();
  await lock.release();
});

test("a missing parent is created only when asked", async () => {
  await expect(own({ createParents: false })).rejects.toMatchObject({ code: "ENOENT" });
  const lock = await own();
  expect(lock).not.toBeNull();
  await lock!.release();
});
