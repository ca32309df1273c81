// What keeps an idle daemon idle: periodic work that waits for a wakeup the daemon has anyway, and
// a cheap stamp that says whether a directory changed since it was last looked at.
import { MISSING_SIGNATURE, SETTLE_COARSE_MS, signFiles } from "../overlay/launch-record.ts";

/**
 * Work due about once every `everyMs` (an overlay re-sync, a refresh check, a full process scan).
 * It rides along with a wakeup that happens anyway (a poll) once half its period has passed, and
 * runs on its own only when no such wakeup came for one and a half periods. Sweeps come every
 * poll interval plus jitter, so work due once per interval runs at the start of each sweep and
 * never wakes the daemon between sweeps.
 */
export class Chore {
  private lastAtMs = Number.NEGATIVE_INFINITY;

  constructor(readonly everyMs: number) {}

  /** Worth doing during a wakeup for something else. */
  ripe(nowMs: number): boolean {
    return nowMs - this.lastAtMs >= this.everyMs / 2 || nowMs < this.lastAtMs;
  }

  /** Must be done now, wakeup or not. */
  overdue(nowMs: number): boolean {
    return nowMs - this.lastAtMs >= this.everyMs * 1.5 || nowMs < this.lastAtMs;
  }

  done(nowMs: number): void {
    this.lastAtMs = nowMs;
  }
}

/**
 * The longest a change must have settled before a stamp is trusted (launch-record.ts decides per
 * file system: 1 s, or 3 s where timestamps are coarse); tests wait this long.
 */
export const STAMP_SETTLE_MS = SETTLE_COARSE_MS;

/**
 * Identity and last change of a directory, as the launch record signs files: any entry added,
 * removed, renamed or replaced in it changes the stamp (mtime), so does a restore that sets the
 * mtime back (ctime). "" when it is missing, cannot be stamped or changed too recently to trust;
 * "" never equals a stamp taken before.
 */
export function dirStamp(path: string, wallNowMs: number = Date.now()): string {
  const { sigs, settled } = signFiles([{ path, follow: true }], wallNowMs);
  const sig = Object.values(sigs)[0];
  return settled && sig !== undefined && sig !== MISSING_SIGNATURE ? sig : "";
}
