import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { CcpError } from "../../src/errors.ts";
import { openDb, writeTx } from "../../src/store/db.ts";
import { getMeta, setMeta } from "../../src/store/meta.ts";
import { tempDir } from "../helpers/cli.ts";

function pool(): { path: string; db: Database } {
  const path = join(tempDir(), "pool.db");
  return { path, db: openDb(path) };
}

describe("writeTx", () => {
  test("commits what fn wrote: another connection sees it", () => {
    const { path, db } = pool();
    expect(
      writeTx(db, () => {
        setMeta(db, "k", "v");
        return 42;
      }),
    ).toBe(42);
    const other = new Database(path);
    expect(other.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'k'").get()?.value).toBe(
      "v",
    );
    other.close();
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  test("a throw undoes every write of fn and leaves the connection usable", () => {
    const { db } = pool();
    setMeta(db, "k", "before");
    expect(() =>
      writeTx(db, () => {
        setMeta(db, "k", "during");
        setMeta(db, "other", "x");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(db.inTransaction).toBe(false);
    expect(getMeta(db, "k")).toBe("before");
    expect(getMeta(db, "other")).toBeUndefined();
    writeTx(db, () => setMeta(db, "k", "after"));
    expect(getMeta(db, "k")).toBe("after");
    db.close();
  });

  test("nested: an inner failure the outer catches drops only the inner writes", () => {
    const { db } = pool();
    writeTx(db, () => {
      setMeta(db, "outer", "1");
      try {
        writeTx(db, () => {
          setMeta(db, "inner", "1");
          throw new Error("inner");
        });
      } catch {
        // the outer goes on
      }
      setMeta(db, "outer2", "1");
    });
    expect(getMeta(db, "outer")).toBe("1");
    expect(getMeta(db, "outer2")).toBe("1");
    expect(getMeta(db, "inner")).toBeUndefined();
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  test("takes the write lock at the start, even when fn only reads (concurrent launches serialise)", () => {
    const { path, db } = pool();
    const other = new Database(path);
    other.run("PRAGMA busy_timeout = 0");
    let otherGotLock = true;
    writeTx(db, () => {
      getMeta(db, "anything");
      try {
        other.run("BEGIN IMMEDIATE");
        other.run("ROLLBACK");
      } catch {
        otherGotLock = false;
      }
    });
    expect(otherGotLock).toBe(false);
    // Released at the end.
    other.run("BEGIN IMMEDIATE");
    other.run("ROLLBACK");
    other.close();
    db.close();
  });

  test("a database another process keeps write-locked: a clear error naming the file", () => {
    const { path, db } = pool();
    db.run("PRAGMA busy_timeout = 50");
    const other = new Database(path);
    other.run("BEGIN IMMEDIATE");
    try {
      writeTx(db, () => setMeta(db, "k", "v"));
      throw new Error("expected a CcpError");
    } catch (error) {
      expect(error).toBeInstanceOf(CcpError);
      expect((error as CcpError).message).toContain("locked by another process");
      expect((error as CcpError).message).toContain(path);
    } finally {
      other.run("ROLLBACK");
      other.close();
    }
    expect(db.inTransaction).toBe(false);
    db.close();
  });
});
