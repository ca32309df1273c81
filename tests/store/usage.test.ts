import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { burnRate5h } from "../../src/score/burn-rate.ts";
import { insertAccount } from "../../src/store/accounts.ts";
import { openDb } from "../../src/store/db.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { type UsageSampleRow, insertSample, latestUsage } from "../../src/store/usage.ts";
import { tempDir } from "../helpers/cli.ts";

const T0 = 1_800_000_000_000;
const MIN = 60_000;

function sample(
  accountId: number,
  takenAtMs: number,
  status: UsageSampleRow["status"],
  util5Pct: number | null,
): UsageSampleRow {
  return {
    accountId,
    takenAtMs,
    status,
    util5Pct,
    reset5AtMs: T0 + 4 * 60 * MIN,
    util7Pct: util5Pct === null ? null : util5Pct / 2,
    reset7AtMs: null,
    scoped7Pct: null,
    scoped7ResetAtMs: null,
    scoped7Model: null,
    extraUsageEnabled: null,
    error: status === "ok" ? null : `failed with ${status}`,
  };
}

function freshDb() {
  const db = openDb(join(tempDir(), "pool.db"));
  insertAccount(db, { id: 1, name: "one", nameIsCustom: true, configDir: "/x/acct-01", createdAtMs: T0 });
  insertAccount(db, { id: 2, name: "two", nameIsCustom: true, configDir: "/x/acct-02", createdAtMs: T0 });
  return db;
}

describe("the per-account usage summary", () => {
  test("follows the newest sample and keeps the last good values through failures", () => {
    const db = freshDb();
    insertSample(db, sample(1, T0, "ok", 10));
    insertSample(db, sample(1, T0 + 3 * MIN, "ok", 20));
    insertSample(db, sample(1, T0 + 6 * MIN, "rate_limited", null));
    const l = latestUsage(db).get(1);
    expect(l?.newest.status).toBe("rate_limited");
    expect(l?.newest.takenAtMs).toBe(T0 + 6 * MIN);
    expect(l?.newest.error).toBe("failed with rate_limited");
    expect(l?.good?.util5Pct).toBe(20);
    expect(l?.good?.takenAtMs).toBe(T0 + 3 * MIN);
    expect(latestUsage(db).has(2)).toBe(false);
    db.close();
  });

  test("an older sample arriving late does not replace a newer one", () => {
    const db = freshDb();
    insertSample(db, sample(1, T0 + 10 * MIN, "ok", 50));
    insertSample(db, sample(1, T0, "error", null));
    insertSample(db, sample(1, T0 + 5 * MIN, "ok", 30));
    const l = latestUsage(db).get(1);
    expect(l?.newest.takenAtMs).toBe(T0 + 10 * MIN);
    expect(l?.newest.status).toBe("ok");
    expect(l?.good?.util5Pct).toBe(50);
    db.close();
  });

  test("stores the burn rate the score would compute from the samples of the last 45 minutes", () => {
    const db = freshDb();
    const points = [0, 10, 20, 30, 40].map((m, i) => ({
      takenAtMs: T0 + m * MIN,
      util5Pct: 10 + i * 5,
      reset5AtMs: T0 + 4 * 60 * MIN,
    }));
    for (const p of points) insertSample(db, sample(1, p.takenAtMs, "ok", p.util5Pct));
    const stored = latestUsage(db).get(1)?.burn5PctPerHour;
    expect(stored).toBeCloseTo(burnRate5h(points, T0 + 40 * MIN), 9);
    expect(stored).toBeCloseTo(30, 6);
    db.close();
  });

  test("removing an account removes its summary", () => {
    const db = freshDb();
    insertSample(db, sample(2, T0, "ok", 10));
    db.run("DELETE FROM accounts WHERE id = 2");
    expect(latestUsage(db).size).toBe(0);
    db.close();
  });

  test("a pool from before the summary existed is backfilled when it is opened", () => {
    const path = join(tempDir(), "pool.db");
    const old = new Database(path);
    old.run(MIGRATIONS[0] as string);
    old.run("PRAGMA user_version = 1");
    old.run("INSERT INTO accounts (id, name, config_dir, created_at_ms) VALUES (1, 'one', '/x/1', 0)");
    const ins = old.prepare(
      "INSERT INTO usage_samples (account_id, taken_at_ms, status, util5_pct, util7_pct, error) VALUES (?, ?, ?, ?, ?, ?)",
    );
    ins.run(1, T0, "ok", 42, 7, null);
    ins.run(1, T0 + MIN, "unauthorized", null, null, "401");
    old.close();
    const db = openDb(path);
    const l = latestUsage(db).get(1);
    expect(l?.newest.status).toBe("unauthorized");
    expect(l?.good?.util5Pct).toBe(42);
    expect(l?.good?.util7Pct).toBe(7);
    db.close();
  });
});
