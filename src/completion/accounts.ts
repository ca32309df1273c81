// The hidden `ccp completion --accounts` helper: called on every TAB, so it stays small and quiet.
import { existsSync } from "node:fs";
import type { Env } from "../env.ts";
import { listAccounts } from "../store/accounts.ts";
import { openDb } from "../store/db.ts";
import { safeText } from "../ui/safe-text.ts";

/** `id<TAB>name` lines for the pool's accounts; empty when there is no pool or it cannot be read. */
export function accountCompletionLines(env: Env): string {
  if (!existsSync(env.dbPath)) return "";
  try {
    const db = openDb(env.dbPath, { mustExist: true });
    try {
      // A control character in a name would break the line format or reach the terminal: escaped.
      return listAccounts(db)
        .map((a) => `${a.id}\t${safeText(a.name)}\n`)
        .join("");
    } finally {
      db.close();
    }
  } catch {
    return "";
  }
}
