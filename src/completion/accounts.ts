// The hidden `ccp completion --accounts` helper: called on every TAB, so it stays small and quiet.
import { existsSync } from "node:fs";
import type { Env } from "../env.ts";
import { listAccounts } from "../store/accounts.ts";
import { openDb } from "../store/db.ts";

/** `id<TAB>name` lines for the pool's accounts; empty when there is no pool or it cannot be read. */
export function accountCompletionLines(env: Env): string {
  if (!existsSync(env.dbPath)) return "";
  try {
    const db = openDb(env.dbPath, { mustExist: true });
    try {
      // Tabs and newlines in a name would break the line format; completion shows them as spaces.
      return listAccounts(db)
        .map((a) => `${a.id}\t${a.name.replace(/[\t\r\n]+/g, " ")}\n`)
        .join("");
    } finally {
      db.close();
    }
  } catch {
    return "";
  }
}
