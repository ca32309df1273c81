import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";

/** The logical content of a pool database (every table, every row), for "nothing changed" checks. */
export function dumpDb(path: string): string {
  if (!existsSync(path)) return "<absent>";
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((t) => t.name);
    const version = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
    const parts = [`version ${version?.user_version}`];
    for (const t of tables)
      parts.push(`${t}: ${JSON.stringify(db.query(`SELECT * FROM "${t}" ORDER BY rowid`).all())}`);
    return parts.join("\n");
  } finally {
    db.close();
  }
}
