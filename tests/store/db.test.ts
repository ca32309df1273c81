import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { openDb } from "../../src/store/db.ts";
import { SCHEMA_VERSION } from "../../src/store/migrations.ts";
import { REPO_ROOT, tempDir } from "../helpers/cli.ts";

function expectCcpError(fn: () => unknown, code: string): CcpError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CcpError);
    expect((error as CcpError).code).toBe(code as CcpError["code"]);
    return error as CcpError;
  }
  throw new Error("expected a CcpError");
}

describe("state database", () => {
  test("a fresh database is migrated, private, in WAL mode, with foreign keys on", () => {
    const dir = join(tempDir(), "ccp");
    const path = join(dir, "pool.db");
    const db = openDb(path);
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    const tables = db
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
      .all()
      .map((r) => r.name);
    expect(tables).toEqual([
      "account_usage",
      "accounts",
      "auth_health",
      "meta",
      "pins",
      "refresh_log",
      "sessions",
      "usage_samples",
    ]);
    db.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  test("no column is named like a token", () => {
    const db = openDb(join(tempDir(), "pool.db"));
    const cols = db
      .query<{ name: string }, []>(
        "SELECT p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type='table'",
      )
      .all()
      .map((r) => r.name);
    db.close();
    expect(cols.filter((c) => /token|secret|password|credential/i.test(c))).toEqual([]);
  });

  test("re-opening is a no-op and keeps data", () => {
    const path = join(tempDir(), "pool.db");
    const db = openDb(path);
    db.run("INSERT INTO meta(key, value) VALUES ('k', 'v')");
    db.close();
    const again = openDb(path);
    expect(again.query("SELECT value FROM meta WHERE key='k'").get()).toEqual({ value: "v" });
    expect(again.query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    again.close();
  });

  test("a newer schema is refused and the file is left untouched", () => {
    const path = join(tempDir(), "pool.db");
    const raw = new Database(path);
    raw.run(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    const before = readFileSync(path);
    const err = expectCcpError(() => openDb(path), "db-newer");
    expect(err.message).toContain(path);
    expect(err.hint).toContain("Upgrade");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("a non-SQLite file is refused, named, and left untouched", () => {
    const path = join(tempDir(), "pool.db");
    writeFileSync(path, "this is not a database at all, just some text\n".repeat(20));
    const before = readFileSync(path);
    const err = expectCcpError(() => openDb(path), "db-corrupt");
    expect(err.message).toContain(path);
    expect(err.hint).toContain("ccp doctor");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("a truncated database is refused and left untouched", () => {
    const path = join(tempDir(), "pool.db");
    const db = openDb(path);
    for (let i = 0; i < 200; i++)
      db.run("INSERT INTO meta(key, value) VALUES (?, ?)", [`k${i}`, "x".repeat(200)]);
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, 5000));
    const before = readFileSync(path);
    expectCcpError(() => {
      const broken = openDb(path);
      try {
        broken.query("SELECT count(*) FROM meta").get();
      } finally {
        broken.close();
      }
    }, "db-corrupt");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("20 processes writing at once never see 'database is locked'", async () => {
    const path = join(tempDir(), "pool.db");
    const script = join(REPO_ROOT, "tests/store/fixtures/concurrent-writer.ts");
    const procs = Array.from({ length: 20 }, (_, i) =>
      Bun.spawn([process.execPath, script, path, String(i), "25"], { stdout: "pipe", stderr: "pipe" }),
    );
    try {
      const results = await Promise.all(
        procs.map(async (p) => ({ code: await p.exited, err: await new Response(p.stderr).text() })),
      );
      for (const r of results) {
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
      }
    } finally {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    }
    const db = openDb(path);
    expect(db.query("SELECT count(*) AS n FROM meta").get()).toEqual({ n: 20 * 25 });
    db.close();
  });
});
