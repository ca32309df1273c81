// Keeps the sessions table in step with the processes the scan found: a claude launched from a
// `ccp select` reservation takes that reservation over; any other one becomes an "external" row.
// Rows whose process is gone are closed by reapSessions.
import type { Db } from "../store/db.ts";
import { insertSession, openSessions } from "../store/sessions.ts";
import type { FoundSession } from "./process-scan.ts";

export interface RecordedSessions {
  added: number;
  adopted: number;
}

/** Call inside a write transaction. `cwdOf` is asked only for processes that get a new row. */
export function recordFoundSessions(
  db: Db,
  found: readonly FoundSession[],
  nowMs: number,
  cwdOf: (pid: number) => string | null = () => null,
): RecordedSessions {
  const open = openSessions(db, nowMs);
  const known = new Set(open.filter((s) => s.pid !== null).map((s) => s.pid as number));
  const reservations = open
    .filter((s) => s.pid === null && s.kind === "select")
    .sort((a, b) => a.startedAtMs - b.startedAtMs);
  const result: RecordedSessions = { added: 0, adopted: 0 };
  for (const f of found) {
    if (known.has(f.pid)) continue;
    known.add(f.pid);
    const cwd = cwdOf(f.pid);
    const forAccount = reservations.filter((r) => r.accountId === f.accountId);
    const reservation = forAccount.find((r) => cwd !== null && r.cwd === cwd) ?? forAccount[0];
    if (reservation) {
      reservations.splice(reservations.indexOf(reservation), 1);
      db.run("UPDATE sessions SET pid = ?, kind = 'external', expires_at_ms = NULL WHERE id = ?", [
        f.pid,
        reservation.id,
      ]);
      result.adopted++;
      continue;
    }
    insertSession(db, { accountId: f.accountId, kind: "external", pid: f.pid, cwd, startedAtMs: nowMs });
    result.added++;
  }
  return result;
}
