// A hostile filesystem: links, FIFOs, foreign and shared dirs and absurd JSON planted where cc-pool
// keeps its state. Every command must refuse or cope clearly: nothing written or deleted outside
// CCP_HOME (the base least of all), nothing followed, nothing hung, no stack trace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { installAlias, removeAlias } from "../../src/app/alias.ts";
import { baseEnv, CLI_ENTRY, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool } from "../helpers/pool.ts";
import { snapshotSacred } from "../helpers/sacred.ts";

/** Long enough for a loaded machine; a command still running then is counted as a hang. */
const HANG_MS = 25_000;

let fake: FakeAnthropic;
let claudeBin: string;
let layouts = 0;
let runs = 0;
let outsideWrites = 0;
let hangs = 0;
const failures: string[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
  claudeBin = standInClaudeDir();
});
afterAll(async () => {
  await fake.stop();
  console.log(
    `filesystem: ${layouts} hostile layouts, ${runs} commands, ${outsideWrites} writes outside CCP_HOME, ${hangs} hangs, ${failures.length} failures`,
  );
  if (failures.length > 0) console.log(failures.join("\n"));
});

interface Bounded {
  code: number;
  stdout: string;
  stderr: string;
  hung: boolean;
}

/** Runs ccp with a hard bound: a hang is killed and reported, never waited out by the suite. */
async function runBounded(args: string[], vars: Record<string, string>): Promise<Bounded> {
  const proc = Bun.spawn([process.execPath, CLI_ENTRY, ...args], {
    cwd: tempDir("cwd-"),
    env: baseEnv({ ...vars, CCP_DAEMON_AUTOSTART: "0" }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    proc.kill("SIGKILL");
  }, HANG_MS);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr, hung };
  } finally {
    clearTimeout(timer);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  }
}

/** Every path, type, mode, owner and content under `dir`, never following a link. */
function treeDigest(dir: string): string {
  const lines: string[] = [];
  const walk = (path: string, rel: string): void => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) return void lines.push(`${rel} absent`);
    const head = `${rel} ${(st.mode & 0o7777).toString(8)} ${st.uid}`;
    if (st.isSymbolicLink()) lines.push(`${head} -> ${readlinkSync(path)}`);
    else if (st.isFile())
      lines.push(`${head} ${createHash("sha256").update(readFileSync(path)).digest("hex")} ${st.mtimeMs}`);
    else if (st.isDirectory()) {
      lines.push(`${head} dir`);
      for (const name of readdirSync(path).sort()) walk(join(path, name), `${rel}/${name}`);
    } else lines.push(`${head} other`);
  };
  walk(dir, ".");
  return lines.join("\n");
}

async function freshPool(): Promise<TestPool> {
  return makePool(
    fake,
    [
      { name: "first", util5Pct: 10, util7Pct: 10 },
      { name: "second", util5Pct: 30, util7Pct: 30 },
    ],
    { PATH: pathWith(claudeBin) },
  );
}

const READ_COMMANDS = [
  ["select"],
  ["run", "-p", "hi"],
  ["status", "--live", "--plain"],
  ["list", "--json"],
  ["doctor"],
  ["doctor", "--fix"],
];

interface LayoutCheck {
  /** Dirs outside CCP_HOME that must stay byte-identical (the base is always checked). */
  watched?: string[];
  commands?: string[][];
  /** Checked on each result. */
  expect?: (args: string[], r: Bounded) => string | undefined;
}

/** Applies `plant` to a fresh pool, runs every command, and checks the promises after each. */
async function hostileLayout(
  name: string,
  plant: (pool: TestPool) => void | Promise<void>,
  check: LayoutCheck = {},
): Promise<string[]> {
  const from = failures.length;
  const pool = await freshPool();
  await plant(pool);
  layouts++;
  const watched = check.watched ?? [];
  for (const args of check.commands ?? READ_COMMANDS) {
    const base = snapshotSacred(pool.home);
    const before = watched.map(treeDigest);
    const r = await runBounded(args, pool.vars);
    runs++;
    const label = `${name} / ccp ${args.join(" ")}`;
    if (r.hung) {
      hangs++;
      failures.push(`${label}: still running after ${HANG_MS} ms`);
      continue;
    }
    if (snapshotSacred(pool.home) !== base || watched.some((dir, i) => treeDigest(dir) !== before[i])) {
      outsideWrites++;
      failures.push(`${label}: changed something outside CCP_HOME`);
    }
    if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr) || r.stderr.includes("Unexpected error")) {
      failures.push(`${label}: crashed: ${r.stderr.slice(0, 400)}`);
    }
    const problem = check.expect?.(args, r);
    if (problem !== undefined) failures.push(`${label}: ${problem}`);
  }
  return failures.slice(from);
}

function accountDir(pool: TestPool, i = 0): string {
  return pool.accounts[i]?.configDir as string;
}

function refuses(pattern: RegExp): (args: string[], r: Bounded) => string | undefined {
  return (args, r) => {
    // doctor reports problems in its report (exit 1) instead of failing.
    if (args[0] !== "doctor" && args[0] !== "list" && r.code === 0) return `exit 0, expected a refusal`;
    return pattern.test(r.stderr + r.stdout) ? undefined : `no clear message: ${r.stderr.slice(0, 300)}`;
  };
}

describe("account dirs", () => {
  test("an account dir swapped for a link to ~/.claude is never followed", async () => {
    const found = await hostileLayout(
      "account dir -> ~/.claude",
      (pool) => {
        const dir = accountDir(pool);
        renameSync(dir, `${dir}.moved`);
        symlinkSync(join(pool.home, ".claude"), dir);
      },
      {
        commands: [
          ["run", "--", "-p", "hi"],
          ["doctor", "--fix"],
          ["remove", "1"],
          ["remove", "--keep-credential", "1"],
          ["select"],
          ["status", "--live", "--plain"],
        ],
        expect: (args, r) => {
          if (args[0] === "remove" && r.code === 0) return "removed an account whose dir is a link";
          if (args[0] === "doctor" && !/symbolic link/.test(r.stdout + r.stderr))
            return "doctor did not report the link";
          return undefined;
        },
      },
    );
    expect(found).toEqual([]);
  }, 240_000);

  test("an account dir linked to a foreign folder: nothing in it is read, changed or deleted", async () => {
    const victim = join(tempDir("victim-"), "data");
    mkdirSync(victim);
    writeFileSync(join(victim, ".credentials.json"), '{"claudeAiOauth":{"accessToken":"x"}}');
    writeFileSync(join(victim, "keep.txt"), "precious");
    const found = await hostileLayout(
      "account dir -> foreign folder",
      (pool) => {
        const dir = accountDir(pool);
        rmSync(dir, { recursive: true });
        symlinkSync(victim, dir);
      },
      {
        watched: [victim],
        commands: [
          ["remove", "--keep-credential", "1"],
          ["remove", "1"],
          ["doctor", "--fix"],
          ["run", "-p", "x"],
        ],
      },
    );
    expect(found).toEqual([]);
  }, 240_000);

  test("the accounts folder itself linked into ~/.claude is refused", async () => {
    const found = await hostileLayout(
      "accounts dir -> ~/.claude",
      (pool) => {
        const accounts = join(pool.vars.CCP_HOME as string, "accounts");
        renameSync(accounts, `${accounts}.moved`);
        symlinkSync(join(pool.home, ".claude"), accounts);
      },
      {
        commands: [
          ["run", "-p", "x"],
          ["remove", "1"],
          ["doctor", "--fix"],
          ["add", "--yes"],
        ],
        expect: refuses(/symbolic link/),
      },
    );
    expect(found).toEqual([]);
  }, 240_000);

  test("a .credentials.json linked to the base credential is not read", async () => {
    const found = await hostileLayout(
      "credential -> base credential",
      (pool) => {
        const path = join(accountDir(pool), ".credentials.json");
        rmSync(path);
        symlinkSync(join(pool.home, ".claude", ".credentials.json"), path);
      },
      {
        commands: [["doctor"], ["status", "--live", "--json"], ["run", "-p", "x"], ["remove", "1"]],
      },
    );
    expect(found).toEqual([]);
  }, 240_000);
});

describe("CCP_HOME", () => {
  test("a CCP_HOME inside ~/.claude is refused and ~/.claude keeps its mode", async () => {
    let home = "";
    const found = await hostileLayout(
      "CCP_HOME inside ~/.claude",
      (pool) => {
        home = pool.home;
        chmodSync(join(pool.home, ".claude"), 0o755);
        pool.vars.CCP_HOME = join(pool.home, ".claude", "pool");
      },
      {
        commands: [["init", "--no-service"], ["add", "--yes"], ["select"], ["list"]],
        expect: (args, r) => {
          if (statSync(join(home, ".claude")).mode % 0o1000 !== 0o755) return "~/.claude was chmod'ed";
          if (args[0] === "list") return undefined;
          return r.code === 2 && /inside/.test(r.stderr)
            ? undefined
            : `exit ${r.code}: ${r.stderr.slice(0, 200)}`;
        },
      },
    );
    expect(found).toEqual([]);
  }, 240_000);

  test("a shared (1777) CCP_HOME is used but never chmod'ed, with a warning", async () => {
    let shared = "";
    const found = await hostileLayout(
      "CCP_HOME shared 1777",
      (pool) => {
        shared = join(tempDir("shared-"), "pool");
        mkdirSync(shared);
        chmodSync(shared, 0o1777);
        pool.vars.CCP_HOME = shared;
      },
      {
        commands: [["init", "--no-service"]],
        expect: (_args, r) => {
          if ((statSync(shared).mode & 0o7777) !== 0o1777) return "the shared dir was chmod'ed";
          return /writable by other users/.test(r.stderr)
            ? undefined
            : `no warning: ${r.stderr.slice(0, 200)}`;
        },
      },
    );
    expect(found).toEqual([]);
  }, 120_000);

  test("a CCP_HOME owned by another user is refused", async () => {
    if (process.getuid?.() !== 0) return; // Only root can give a folder away.
    let foreign = "";
    const found = await hostileLayout(
      "CCP_HOME owned by another user",
      (pool) => {
        foreign = join(tempDir("foreign-"), "pool");
        mkdirSync(foreign, { mode: 0o700 });
        chownSync(foreign, 4242, 4242);
        pool.vars.CCP_HOME = foreign;
      },
      {
        commands: [
          ["init", "--no-service"],
          ["add", "--yes"],
        ],
        expect: (_args, r) =>
          r.code !== 0 && /another user/.test(r.stderr)
            ? undefined
            : `exit ${r.code}: ${r.stderr.slice(0, 200)}`,
      },
    );
    expect(found).toEqual([]);
  }, 120_000);
});

describe("the pool database", () => {
  test("a pool.db that is a symlink to a foreign SQLite file is refused and the file unchanged", async () => {
    const foreignDir = tempDir("foreign-db-");
    const foreignDb = join(foreignDir, "app.db");
    const db = new Database(foreignDb);
    db.run("CREATE TABLE notes (body TEXT)");
    db.close();
    const found = await hostileLayout(
      "pool.db -> foreign SQLite",
      (pool) => {
        const path = join(pool.vars.CCP_HOME as string, "pool.db");
        for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
        symlinkSync(foreignDb, path);
      },
      {
        watched: [foreignDir],
        commands: [
          ["select"],
          ["list"],
          ["add", "--yes"],
          ["init", "--no-service"],
          ["doctor"],
          ["remove", "1"],
        ],
        expect: refuses(/symbolic link/),
      },
    );
    expect(found).toEqual([]);
  }, 240_000);

  test("a pool.db that is a FIFO hangs nothing", async () => {
    const found = await hostileLayout(
      "pool.db FIFO",
      (pool) => {
        const path = join(pool.vars.CCP_HOME as string, "pool.db");
        for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
        Bun.spawnSync(["mkfifo", path]);
      },
      {
        commands: [["select"], ["list"], ["doctor"], ["status", "--plain"]],
        expect: refuses(/FIFO/),
      },
    );
    expect(found).toEqual([]);
  }, 240_000);
});

describe("FIFOs and absurd JSON where Claude's files belong", () => {
  const fifo = (path: string): void => {
    rmSync(path, { force: true });
    Bun.spawnSync(["mkfifo", path]);
  };
  test("a FIFO .credentials.json", async () => {
    const found = await hostileLayout("FIFO .credentials.json", (pool) =>
      fifo(join(accountDir(pool), ".credentials.json")),
    );
    expect(found).toEqual([]);
  }, 240_000);
  test("a FIFO account .claude.json", async () => {
    const found = await hostileLayout("FIFO account .claude.json", (pool) =>
      fifo(join(accountDir(pool), ".claude.json")),
    );
    expect(found).toEqual([]);
  }, 240_000);
  test("a FIFO ~/.claude.json", async () => {
    const found = await hostileLayout("FIFO ~/.claude.json", (pool) => fifo(join(pool.home, ".claude.json")));
    expect(found).toEqual([]);
  }, 240_000);

  const deep = (levels: number): string => `{"a":${"[".repeat(levels)}${"]".repeat(levels)}}`;
  test("100k-deep ~/.claude.json: launches go on and the file is named", async () => {
    const found = await hostileLayout(
      "deep ~/.claude.json",
      (pool) => writeFileSync(join(pool.home, ".claude.json"), deep(100_000)),
      {
        commands: [["run", "-p", "x"], ["select"]],
        expect: (args, r) => {
          if (r.code !== 0) return `exit ${r.code}: ${r.stderr.slice(0, 300)}`;
          if (args[0] === "run" && !/\.claude\.json.*nested deeper/.test(r.stderr))
            return "the file was not named";
          return undefined;
        },
      },
    );
    expect(found).toEqual([]);
  }, 240_000);
  test("100k-deep account .claude.json: doctor names the file", async () => {
    const found = await hostileLayout(
      "deep account .claude.json",
      (pool) => writeFileSync(join(accountDir(pool), ".claude.json"), deep(100_000)),
      {
        commands: [["doctor"], ["run", "-p", "x"], ["select"]],
        expect: (args, r) =>
          args[0] === "doctor" && !/acct-01\/\.claude\.json.*nested deeper/.test(r.stdout + r.stderr)
            ? `doctor did not name the file: ${r.stdout.slice(0, 300)}`
            : undefined,
      },
    );
    expect(found).toEqual([]);
  }, 240_000);
});

describe("rc files", () => {
  test("the alias install and removal keep bytes that are not UTF-8", () => {
    const home = tempDir("rc-");
    const rc = join(home, ".bashrc");
    const original = Buffer.from([0x65, 0x63, 0x68, 0x6f, 0x20, 0xff, 0xfe, 0xc3, 0x28, 0x0a]);
    writeFileSync(rc, original);
    layouts++;
    const opts = { home, shell: "/bin/bash", platform: "linux" as const };
    expect(installAlias(opts).kind).toBe("added");
    const installed = readFileSync(rc);
    expect(installed.subarray(0, original.length).equals(original)).toBe(true);
    expect(removeAlias(opts).kind).toBe("removed");
    expect(readFileSync(rc).equals(original)).toBe(true);
  });
  test("an rc file that is a FIFO is reported, not read", () => {
    const home = tempDir("rc-");
    Bun.spawnSync(["mkfifo", join(home, ".bashrc")]);
    layouts++;
    expect(() => installAlias({ home, shell: "/bin/bash", platform: "linux" })).toThrow(/FIFO/);
  });
});

describe("more odd things where cc-pool keeps its state", () => {
  const fifo = (path: string): void => {
    rmSync(path, { recursive: true, force: true });
    Bun.spawnSync(["mkfifo", path]);
  };
  const home = (pool: TestPool): string => pool.vars.CCP_HOME as string;
  const layoutsTable: [string, (pool: TestPool) => void][] = [
    ["daemon.pid FIFO", (pool) => fifo(join(home(pool), "daemon.pid"))],
    ["pool.db-wal FIFO", (pool) => fifo(join(home(pool), "pool.db-wal"))],
    [
      "pool.db-wal -> elsewhere",
      (pool) => {
        const path = join(home(pool), "pool.db-wal");
        rmSync(path, { force: true });
        symlinkSync(join(tempDir("wal-"), "x"), path);
      },
    ],
    [
      "account dir is a file",
      (pool) => {
        rmSync(accountDir(pool), { recursive: true });
        writeFileSync(accountDir(pool), "not a dir");
      },
    ],
    ["account dir is a FIFO", (pool) => fifo(accountDir(pool))],
    [
      ".credentials.json is a directory",
      (pool) => {
        const path = join(accountDir(pool), ".credentials.json");
        rmSync(path);
        mkdirSync(path);
      },
    ],
    [
      "account .claude.json -> ~/.claude.json",
      (pool) => {
        const path = join(accountDir(pool), ".claude.json");
        rmSync(path);
        symlinkSync(join(pool.home, ".claude.json"), path);
      },
    ],
    [
      "an overlay link in the account replaced by a FIFO",
      (pool) => fifo(join(accountDir(pool), "settings.json")),
    ],
    [
      "an oversized account .claude.json",
      (pool) => writeFileSync(join(accountDir(pool), ".claude.json"), Buffer.alloc(65 * 1024 * 1024, 0x20)),
    ],
    [
      "deep JSON in .credentials.json",
      (pool) =>
        writeFileSync(
          join(accountDir(pool), ".credentials.json"),
          `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
        ),
    ],
    [
      "CCP_HOME -> ~/.claude by a link",
      (pool) => {
        const link = join(tempDir("link-"), "pool");
        symlinkSync(join(pool.home, ".claude"), link);
        pool.vars.CCP_HOME = link;
      },
    ],
    [
      "CCP_HOME is a FIFO",
      (pool) => {
        const path = join(tempDir("fifo-home-"), "pool");
        Bun.spawnSync(["mkfifo", path]);
        pool.vars.CCP_HOME = path;
      },
    ],
  ];
  for (const [name, plant] of layoutsTable) {
    test(name, async () => {
      const found = await hostileLayout(name, plant, {
        commands: [
          ["select"],
          ["run", "-p", "x"],
          ["status", "--live", "--plain"],
          ["doctor"],
          ["list"],
          ["remove", "1"],
        ],
      });
      expect(found).toEqual([]);
    }, 240_000);
  }
});
