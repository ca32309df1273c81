// Desktop notifications from the daemon, on transitions only: the whole pool exhausted (with the
// soonest reset), the first account back with headroom, an account that needs a new login, and a
// locked keychain that stops polling. At most one per kind per hour (the hour scales with
// CCP_POLL_INTERVAL like every cadence); CCP_NOTIFY=0 turns them off. macOS: osascript; Linux:
// notify-send when it is installed; elsewhere nothing.
import type { ScoredAccount } from "../score/types.ts";
import type { Db } from "../store/db.ts";
import { getMeta, setMeta } from "../store/meta.ts";

export type NoticeKind = "pool-exhausted" | "account-back" | "needs-login" | "keychain-locked";

export interface Notice {
  kind: NoticeKind;
  title: string;
  body: string;
}

/** What the notices are decided from, after every poll. */
export interface PoolFacts {
  accounts: number;
  /** Every account is exhausted (and there is at least one). */
  exhausted: boolean;
  /** Names and when, of the soonest exhausted account to reset. */
  soonestReset: { name: string; atMs: number } | null;
  /** The best account with headroom: name and 5h used. */
  best: { name: string; util5Pct: number } | null;
  needsLogin: ReadonlyMap<number, string>;
  keychainLocked: boolean;
}

export function poolFacts(ranked: readonly ScoredAccount[], keychainLocked: boolean): PoolFacts {
  // Nothing left to run on, and it is the limits (not only logins) that did it.
  const exhausted = ranked.some((a) => a.exhausted) && ranked.every((a) => !a.available);
  const resets = ranked
    .filter((a) => a.exhaustedUntilMs !== null)
    .sort((a, b) => (a.exhaustedUntilMs as number) - (b.exhaustedUntilMs as number));
  const soon = resets[0];
  const best = ranked.find((a) => a.available);
  return {
    accounts: ranked.length,
    exhausted,
    soonestReset: soon ? { name: soon.name, atMs: soon.exhaustedUntilMs as number } : null,
    best: best ? { name: best.name, util5Pct: best.util5Pct } : null,
    needsLogin: new Map(ranked.filter((a) => a.needsLogin).map((a) => [a.id, a.name])),
    keychainLocked,
  };
}

function clock(atMs: number): string {
  return new Date(atMs).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
}

const LOCKED_NOTICE: Notice = {
  kind: "keychain-locked",
  title: "cc-pool: the keychain is locked",
  body: "Usage polling is paused until the login keychain is unlocked.",
};

/**
 * The notices that `cur` deserves after `prev`. The first look is a baseline (only changes are
 * news), except a locked keychain: polling is blocked from the start, and that needs a person.
 */
export function transitions(prev: PoolFacts | null, cur: PoolFacts): Notice[] {
  if (prev === null) return cur.keychainLocked ? [LOCKED_NOTICE] : [];
  const out: Notice[] = [];
  if (!prev.exhausted && cur.exhausted) {
    const when = cur.soonestReset
      ? ` The first back is ${cur.soonestReset.name} at ${clock(cur.soonestReset.atMs)}.`
      : "";
    out.push({
      kind: "pool-exhausted",
      title: "cc-pool: every account is at its limit",
      body: `All ${cur.accounts} account${cur.accounts === 1 ? " is" : "s are"} exhausted.${when}`,
    });
  }
  if (prev.exhausted && !cur.exhausted && cur.best) {
    out.push({
      kind: "account-back",
      title: "cc-pool: an account is back",
      body: `${cur.best.name} has headroom again (5h ${Math.round(cur.best.util5Pct)}% used).`,
    });
  }
  const newlyLoggedOut = [...cur.needsLogin].filter(([id]) => !prev.needsLogin.has(id)).map(([, n]) => n);
  if (newlyLoggedOut.length > 0) {
    out.push({
      kind: "needs-login",
      title: "cc-pool: an account needs a new login",
      body: `${newlyLoggedOut.join(", ")} ${newlyLoggedOut.length === 1 ? "needs" : "need"} a new login. Run \`ccp doctor\` to see how.`,
    });
  }
  if (!prev.keychainLocked && cur.keychainLocked) out.push(LOCKED_NOTICE);
  return out;
}

const LAST_SENT_PREFIX = "notice_sent_ms:";

/** True (and remembered) when no notice of this kind went out within `perMs`. Call inside a write transaction. */
export function claimNotice(db: Db, kind: NoticeKind, nowMs: number, perMs: number): boolean {
  const last = Number(getMeta(db, `${LAST_SENT_PREFIX}${kind}`) ?? 0);
  if (Number.isFinite(last) && last > 0 && nowMs - last < perMs) return false;
  setMeta(db, `${LAST_SENT_PREFIX}${kind}`, String(nowMs));
  return true;
}

/** AppleScript string literal. */
function appleString(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The command that shows `notice` on this platform, or null when there is none. */
export function notifierCommand(
  notice: Notice,
  platform: string,
  which: (name: string) => string | null,
): string[] | null {
  if (platform === "darwin") {
    const osascript = which("osascript");
    if (!osascript) return null;
    return [
      osascript,
      "-e",
      `display notification ${appleString(notice.body)} with title ${appleString(notice.title)}`,
    ];
  }
  const notifySend = which("notify-send");
  return notifySend ? [notifySend, "--app-name=cc-pool", notice.title, notice.body] : null;
}

const NOTIFIER_TIMEOUT_MS = 5000;

/** Shows the notice; a missing or failing notifier is not an error (the log has the same line). */
export async function showNotice(
  notice: Notice,
  platform: string,
  pathEnv: string,
  childEnv: Record<string, string>,
): Promise<boolean> {
  const cmd = notifierCommand(notice, platform, (name) => Bun.which(name, { PATH: pathEnv }));
  if (!cmd) return false;
  try {
    const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: childEnv });
    const timer = setTimeout(() => proc.kill("SIGKILL"), NOTIFIER_TIMEOUT_MS);
    try {
      return (await proc.exited) === 0;
    } finally {
      clearTimeout(timer);
    }
  } catch {
    return false;
  }
}
