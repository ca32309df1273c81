// The reference select's own database: the same number of accounts and samples as the pool the
// bench gives `ccp select`, in the smallest schema that answers the same questions.
import { Database } from "bun:sqlite";

export function makeReferenceDb(path: string, accounts: number, samplesPerAccount = 16): void {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA busy_timeout = 10000");
  db.run("PRAGMA journal_mode = WAL");
  db.exec(`
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, config_dir TEXT NOT NULL UNIQUE);
    CREATE TABLE usage_samples (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, taken_at_ms INTEGER NOT NULL,
      util5_pct REAL, reset5_at_ms INTEGER, util7_pct REAL, reset7_at_ms INTEGER);
    CREATE INDEX usage_samples_by_account ON usage_samples(account_id, taken_at_ms);
    CREATE TABLE sessions (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, kind TEXT NOT NULL, cwd TEXT,
      started_at_ms INTEGER NOT NULL, expires_at_ms INTEGER, ended_at_ms INTEGER);
    CREATE INDEX sessions_open ON sessions(account_id) WHERE ended_at_ms IS NULL;
    CREATE TABLE pins (cwd TEXT PRIMARY KEY, account_id INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
  `);
  const now = Date.now();
  db.transaction(() => {
    for (let id = 1; id <= accounts; id++) {
      db.run("INSERT INTO accounts (id, name, config_dir) VALUES (?, ?, ?)", [
        id,
        `account-${id}`,
        `/tmp/reference/acct-${id}`,
      ]);
      for (let k = 0; k < samplesPerAccount; k++) {
        db.run(
          "INSERT INTO usage_samples (account_id, taken_at_ms, util5_pct, reset5_at_ms, util7_pct, reset7_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
          [
            id,
            now - k * 180_000,
            (id * 7 + k) % 90,
            now + 3 * 3_600_000,
            (id * 3) % 80,
            now + 4 * 86_400_000,
          ],
        );
      }
    }
  })();
  db.close();
}
