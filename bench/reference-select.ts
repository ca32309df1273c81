// The reference for `ccp select`: exactly its work and nothing else, on its own database of the
// same size (bench/reference-db.ts). Open the WAL database, read the accounts with their newest
// usage and their open sessions, score, record the choice in one immediate write transaction,
// print the chosen config dir. Compiled with the product's flags by `bun run bench`.
// Usage: reference-select <db path>
import { Database } from "bun:sqlite";

interface Row {
  id: number;
  config_dir: string;
  util5_pct: number | null;
  reset5_at_ms: number | null;
  util7_pct: number | null;
  open_sessions: number;
}

const path = process.argv[2] as string;
const db = new Database(path, { strict: true });
db.run("PRAGMA busy_timeout = 10000");
db.run("PRAGMA journal_mode = WAL");
// The durability ccp uses (src/store/db.ts): in WAL mode, a commit without an fsync.
db.run("PRAGMA synchronous = NORMAL");
db.run("PRAGMA foreign_keys = ON");
const now = Date.now();
const cwd = process.cwd();
const chosen = db
  .transaction(() => {
    const rows = db
      .query<Row, [number]>(
        `SELECT a.id, a.config_dir, u.util5_pct, u.reset5_at_ms, u.util7_pct,
           (SELECT count(*) FROM sessions s WHERE s.account_id = a.id AND s.ended_at_ms IS NULL
              AND (s.expires_at_ms IS NULL OR s.expires_at_ms > ?1)) AS open_sessions
         FROM accounts a
         LEFT JOIN usage_samples u ON u.id = (SELECT n.id FROM usage_samples n WHERE n.account_id = a.id
                                              ORDER BY n.taken_at_ms DESC LIMIT 1)`,
      )
      .all(now);
    let best: Row | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      const head5 = 100 - (r.util5_pct ?? 100);
      const head7 = 100 - (r.util7_pct ?? 100);
      const resetSoon = r.reset5_at_ms !== null && r.reset5_at_ms - now < 3_600_000 ? 10 : 0;
      const score = Math.min(head5, head7) + resetSoon - 2 * r.open_sessions;
      if (score > bestScore) {
        best = r;
        bestScore = score;
      }
    }
    if (!best) throw new Error("empty pool");
    db.run(
      "INSERT INTO sessions (account_id, kind, cwd, started_at_ms, expires_at_ms) VALUES (?, 'select', ?, ?, ?)",
      [best.id, cwd, now, now + 600_000],
    );
    db.run(
      "INSERT INTO pins (cwd, account_id, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT(cwd) DO UPDATE SET account_id = excluded.account_id, updated_at_ms = excluded.updated_at_ms",
      [cwd, best.id, now],
    );
    return best;
  })
  .immediate();
db.close();
await Bun.write(Bun.stdout, `${chosen.config_dir}\n`);
