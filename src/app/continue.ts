// Continue on another account: when a `ccp run` session ends and its account is now exhausted, offer
// to resume the same conversation (`claude --resume <id>`) on the best account with headroom.
// Loaded by one dynamic import after claude has exited, so it costs nothing while claude runs.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isatty } from "node:tty";
import type { Env } from "../env.ts";
import { rankAccounts } from "../score/rank.ts";
import type { ScoredAccount, WindowKey } from "../score/types.ts";
import { type AccountRow, getAccount } from "../store/accounts.ts";
import { type Db, openDb } from "../store/db.ts";
import { getClaudeSessionId, getStatuslineMark } from "../store/session-signals.ts";
import { latestUsage } from "../store/usage.ts";
import { log } from "../ui/log.ts";
import { readPool } from "./select.ts";

/** A status-line report (or poll) younger than this is trusted instead of a live sample. */
const STATUSLINE_TRUST_MS = 60_000;
const QUICK_SAMPLE_TIMEOUT_MS = 3000;

export interface EndedSession {
  sessionRowId: number;
  accountId: number;
  cwd: string;
}

interface Ended extends EndedSession {
  account: AccountRow;
  startedAtMs: number;
}

export interface Continuation {
  account: AccountRow;
  claudeSessionId: string;
}

/** Claude Code's project folder name for a cwd: every character that is not a letter or digit becomes "-". */
export function projectSlug(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, "-");
}

/** The newest transcript written in `cwd` since the session started (its file name is the session id). */
export function transcriptSessionId(configDir: string, cwd: string, sinceMs: number): string | undefined {
  const dir = join(configDir, "projects", projectSlug(cwd));
  let best: { id: string; mtimeMs: number } | undefined;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!name.endsWith(".jsonl")) continue;
    try {
      const { mtimeMs } = statSync(join(dir, name));
      if (mtimeMs + 1000 < sinceMs) continue;
      if (!best || mtimeMs > best.mtimeMs) best = { id: name.slice(0, -".jsonl".length), mtimeMs };
    } catch {
      // Vanished meanwhile.
    }
  }
  return best?.id;
}

function windowName(w: WindowKey | undefined, a: ScoredAccount): string {
  if (w === "7d") return "7d";
  if (w === "7d-scoped") return `${a.scoped7?.model || "model"} weekly`;
  return "5h";
}

function clock(atMs: number, nowMs: number): string {
  const d = new Date(atMs);
  const time = d.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
  return atMs - nowMs < 20 * 3_600_000
    ? time
    : `${d.toLocaleDateString("en-US", { weekday: "short" })} ${time}`;
}

/** "work@example.com hit its 5h limit (resets 6:00 PM). Continue on personal@example.com (5h 12% used)?" */
export function offerText(
  ended: ScoredAccount,
  endedRow: AccountRow,
  next: ScoredAccount,
  nextRow: AccountRow,
  nowMs: number,
): string {
  const resets = ended.exhaustedUntilMs === null ? "" : ` (resets ${clock(ended.exhaustedUntilMs, nowMs)})`;
  const limit = windowName(ended.exhaustedWindows[0], ended);
  return `${endedRow.email ?? endedRow.name} hit its ${limit} limit${resets}. Continue on ${nextRow.email ?? nextRow.name} (5h ${Math.round(next.util5Pct)}% used)?`;
}

async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string | null>((resolve) => {
      rl.on("close", () => resolve(null));
      rl.question(`${question} [Y/n] `, resolve);
    });
    if (answer === null) return false;
    return /^\s*(y|yes)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/** Up to date enough to judge: a fresh status-line report, else one quick live sample. */
async function refreshUsage(env: Env, db: Db, session: Ended, nowMs: number): Promise<void> {
  const mark = getStatuslineMark(db, session.account.id);
  if (mark && mark.sampledAtMs >= session.startedAtMs && nowMs - mark.sampledAtMs < STATUSLINE_TRUST_MS)
    return;
  // A daemon poll just as recent is as good (and saves a request at every exit).
  const good = latestUsage(db).get(session.account.id)?.good;
  if (good && good.takenAtMs >= session.startedAtMs && nowMs - good.takenAtMs < STATUSLINE_TRUST_MS) return;
  const { sampleAccounts } = await import("./sample.ts");
  await sampleAccounts(env, db, [session.account], { timeoutMs: QUICK_SAMPLE_TIMEOUT_MS });
}

interface Plan {
  question: string;
  continuation: Continuation;
}

async function planContinue(env: Env, db: Db, finished: EndedSession): Promise<Plan | null> {
  const account = getAccount(db, finished.accountId);
  if (!account) return null;
  const row = db
    .query<{ started_at_ms: number }, [number]>("SELECT started_at_ms FROM sessions WHERE id = ?")
    .get(finished.sessionRowId);
  const session: Ended = { ...finished, account, startedAtMs: row?.started_at_ms ?? Date.now() };
  await refreshUsage(env, db, session, Date.now());
  const nowMs = Date.now();
  const pool = readPool(db, nowMs);
  const ranked = rankAccounts(pool.states, nowMs);
  const ended = ranked.find((a) => a.id === session.account.id);
  // The user ended the session for another reason: nothing to offer.
  if (!ended?.exhausted) return null;
  const next = ranked.find((a) => a.available && a.id !== session.account.id);
  if (!next) {
    const until = ranked.map((a) => a.exhaustedUntilMs).filter((t): t is number => t !== null);
    const first = until.length > 0 ? ` (the first resets at ${clock(Math.min(...until), nowMs)})` : "";
    log.warn(`${session.account.name} hit its limit and no other account has headroom${first}.`);
    return null;
  }
  const claudeSessionId =
    getClaudeSessionId(db, session.sessionRowId) ??
    transcriptSessionId(session.account.configDir, session.cwd, session.startedAtMs);
  if (!claudeSessionId) {
    log.warn(
      `${session.account.name} hit its limit, but this session's id is unknown, so it cannot be resumed elsewhere.`,
    );
    return null;
  }
  const nextRow = pool.accounts.find((a) => a.id === next.id) as AccountRow;
  return {
    question: offerText(ended, session.account, next, nextRow, nowMs),
    continuation: { account: nextRow, claudeSessionId },
  };
}

/**
 * Decides whether to continue elsewhere, asking on a terminal (CCP_CONTINUE=ask, the default) or
 * not at all (auto; off, and ask without a terminal). Returns where to resume, or null to end with
 * claude's own status.
 */
export async function offerContinue(env: Env, session: EndedSession): Promise<Continuation | null> {
  const mode = env.continueMode;
  if (mode === "off") return null;
  if (mode === "ask" && !(isatty(0) && isatty(2))) return null;
  const db = openDb(env.dbPath, { mustExist: true });
  let plan: Plan | null;
  try {
    plan = await planContinue(env, db, session);
  } finally {
    db.close();
  }
  if (!plan) return null;
  if (mode === "auto") {
    log.info(`${plan.question.slice(0, -1)}: continuing (CCP_CONTINUE=auto).`);
    return plan.continuation;
  }
  return (await askYesNo(plan.question)) ? plan.continuation : null;
}
