// `ccp statusline`: Claude Code runs it for its `statusLine` setting, on every update of the status
// bar, with a JSON description of the session on stdin. It must be as cheap as the hot path and must
// never break the status line: every failure prints what it can and exits 0. No prompts, colours,
// HTTP or process.stdout here (each costs start-up time in the compiled binary).
import { dirname } from "node:path";
import { isTerminal } from "../ui/output.ts";
import { type Env, loadEnv } from "../env.ts";
import { drainingFast } from "../score/pace.ts";
import { type AccountRow, listAccounts } from "../store/accounts.ts";
import { type Db, openDb, writeTx } from "../store/db.ts";
import {
  getClaudeSessionId,
  getStatuslineMark,
  setClaudeSessionId,
  setStatuslineMark,
} from "../store/session-signals.ts";
import { type LatestUsage, insertSample, latestUsage } from "../store/usage.ts";
import { type LocalTime, machineLocalTime } from "../ui/status/local-time.ts";

/** The `ccp run` session row the status line belongs to (set by the shim in claude's environment). */
export const RUN_SESSION_VAR = "CCP_RUN_SESSION";
/** A wrapped status line that takes longer than this is left out (Claude Code itself waits a few seconds at most). */
export const WRAPPED_TIMEOUT_MS = 3000;
/** The same session reporting the same values again is not a new sample more often than this. */
const RESAMPLE_MS = 10_000;

interface Window {
  usedPct: number;
  resetAtMs: number | null;
}

/** What cc-pool reads from Claude Code's status-line JSON (every field optional, parsed tolerantly). */
export interface StatusPayload {
  sessionId: string | null;
  /** The session's total API time: it grows only when a new response arrived. */
  apiMs: number;
  fiveHour: Window | null;
  sevenDay: Window | null;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function finite(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return null;
}

/** Epoch seconds (number or numeric string) or an ISO string → epoch ms. */
function resetMs(value: unknown): number | null {
  const n = finite(value);
  if (n !== null) return n > 1e12 ? n : n * 1000;
  if (typeof value === "string") {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

function window(value: unknown): Window | null {
  const w = obj(value);
  const used = finite(w?.used_percentage);
  if (!w || used === null) return null;
  return { usedPct: Math.min(Math.max(used, 0), 100), resetAtMs: resetMs(w.resets_at) };
}

export function parseStatusPayload(text: string): StatusPayload {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const root = obj(json) ?? {};
  const limits = obj(root.rate_limits);
  const sessionId = typeof root.session_id === "string" && root.session_id !== "" ? root.session_id : null;
  return {
    sessionId,
    apiMs: finite(obj(root.cost)?.total_api_duration_ms) ?? 0,
    fiveHour: window(limits?.five_hour),
    sevenDay: window(limits?.seven_day),
  };
}

/** The pool account whose dir is exactly `configDir` (the string the shim exported), if any. */
export function poolAccountFor(env: Env, db: Db, configDir: string | undefined): AccountRow | undefined {
  if (!configDir) return undefined;
  const dir = configDir.replace(/\/+$/, "");
  if (dirname(dir) !== env.accountsDir.replace(/\/+$/, "")) return undefined;
  return listAccounts(db).find((a) => a.configDir.replace(/\/+$/, "") === dir);
}

/** The payload's `rate_limits` are news (read-only check, so an idle status line never writes). */
export function statusSampleDue(
  db: Db,
  account: AccountRow,
  payload: StatusPayload,
  latest: LatestUsage | undefined,
  nowMs: number,
): boolean {
  if (!payload.fiveHour && !payload.sevenDay) return false;
  const mark = getStatuslineMark(db, account.id);
  const sameSession = mark !== undefined && mark.claudeSessionId === payload.sessionId;
  if (sameSession && mark.apiMs === payload.apiMs) return false;
  const good = latest?.good ?? null;
  const changed =
    good === null ||
    good.util5Pct !== (payload.fiveHour?.usedPct ?? null) ||
    good.util7Pct !== (payload.sevenDay?.usedPct ?? null);
  return changed || mark === undefined || nowMs - mark.sampledAtMs >= RESAMPLE_MS;
}

/**
 * Records the payload's `rate_limits` as a usage sample of `account` when they are news: a new
 * API response arrived since the last report (the session's API time grew) or another session
 * reports. Per-model windows and extra usage, which the payload lacks, are carried over.
 * Returns true when a sample was written. Call inside a write transaction.
 */
export function recordStatusSample(
  db: Db,
  account: AccountRow,
  payload: StatusPayload,
  latest: LatestUsage | undefined,
  nowMs: number,
): boolean {
  if (!statusSampleDue(db, account, payload, latest, nowMs)) return false;
  const good = latest?.good ?? null;
  const scopedLive = good?.scoped7ResetAtMs != null && good.scoped7ResetAtMs > nowMs;
  insertSample(db, {
    accountId: account.id,
    takenAtMs: nowMs,
    status: "ok",
    util5Pct: payload.fiveHour?.usedPct ?? null,
    reset5AtMs: payload.fiveHour?.resetAtMs ?? null,
    util7Pct: payload.sevenDay?.usedPct ?? null,
    reset7AtMs: payload.sevenDay?.resetAtMs ?? null,
    scoped7Pct: scopedLive ? good.scoped7Pct : null,
    scoped7ResetAtMs: scopedLive ? good.scoped7ResetAtMs : null,
    scoped7Model: scopedLive ? good.scoped7Model : null,
    extraUsageEnabled: good?.extraUsageEnabled ?? null,
    error: null,
  });
  setStatuslineMark(db, account.id, {
    sampledAtMs: nowMs,
    claudeSessionId: payload.sessionId,
    apiMs: payload.apiMs,
  });
  return true;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/**
 * `6:05 PM`, or `Tue 6:05 PM` when not within the day. By hand, from libc's clock: Intl and even
 * Date's local getters set up ICU's time zones first (~8 ms, see ui/status/local-time.ts).
 */
export function clockTime(atMs: number, nowMs: number, localTime: LocalTime = machineLocalTime()): string {
  const p = localTime(atMs);
  if (p === null) return "?";
  const h = p.hour;
  const time = `${h % 12 === 0 ? 12 : h % 12}:${String(p.minute).padStart(2, "0")} ${h < 12 ? "AM" : "PM"}`;
  return atMs - nowMs < 20 * 3_600_000 ? time : `${WEEKDAYS[p.weekday]} ${time}`;
}

export interface LineFacts {
  name: string;
  util5Pct: number | null;
  reset5AtMs: number | null;
  util7Pct: number | null;
  reset7AtMs: number | null;
  burn5PctPerHour: number | null;
}

const pct = (v: number | null): string => (v === null ? "-" : `${Math.round(v)}%`);

/** `work · 5h 42% · 7d 17% · 5h resets 6:00 PM ▲` (▲: the 5h window drains faster than it refills). */
export function renderStatusLine(f: LineFacts, nowMs: number): string {
  const parts = [f.name, `5h ${pct(f.util5Pct)}`, `7d ${pct(f.util7Pct)}`];
  const resets: Array<[string, number]> = [];
  if (f.reset5AtMs !== null && f.reset5AtMs > nowMs) resets.push(["5h", f.reset5AtMs]);
  if (f.reset7AtMs !== null && f.reset7AtMs > nowMs) resets.push(["7d", f.reset7AtMs]);
  resets.sort((a, b) => a[1] - b[1]);
  const nearer = resets[0];
  if (nearer) parts.push(`${nearer[0]} resets ${clockTime(nearer[1], nowMs)}`);
  const fast = drainingFast(
    { util5Pct: f.util5Pct, reset5AtMs: f.reset5AtMs, burn5PctPerHour: f.burn5PctPerHour },
    nowMs,
  );
  return `${parts.join(" · ")}${fast ? " ▲" : ""}`;
}

/** Our part of the status line ("" when the session is not on a pool account). Never throws. */
export function poolStatusLine(
  raw: Record<string, string | undefined>,
  stdinText: string,
  nowMs: number,
): string {
  let db: Db | undefined;
  try {
    const env = loadEnv(raw);
    const payload = parseStatusPayload(stdinText);
    db = openDb(env.dbPath, { mustExist: true });
    const account = poolAccountFor(env, db, raw.CLAUDE_CONFIG_DIR);
    if (!account) return "";
    const runSession = Number(raw[RUN_SESSION_VAR]);
    let latest = latestUsage(db).get(account.id);
    const tie =
      payload.sessionId !== null &&
      Number.isInteger(runSession) &&
      runSession > 0 &&
      getClaudeSessionId(db, runSession) !== payload.sessionId;
    // Most calls have nothing new: they only read.
    if (tie || statusSampleDue(db, account, payload, latest, nowMs)) {
      try {
        const wrote = writeTx(db as Db, () => {
          if (tie) setClaudeSessionId(db as Db, runSession, payload.sessionId as string);
          return recordStatusSample(db as Db, account, payload, latest, nowMs);
        });
        if (wrote) latest = latestUsage(db).get(account.id);
      } catch {
        // A busy or read-only database: show what we have.
      }
    }
    const good = latest?.good ?? null;
    return renderStatusLine(
      {
        name: account.name,
        util5Pct: payload.fiveHour?.usedPct ?? good?.util5Pct ?? null,
        reset5AtMs: payload.fiveHour?.resetAtMs ?? good?.reset5AtMs ?? null,
        util7Pct: payload.sevenDay?.usedPct ?? good?.util7Pct ?? null,
        reset7AtMs: payload.sevenDay?.resetAtMs ?? good?.reset7AtMs ?? null,
        burn5PctPerHour: latest?.burn5PctPerHour ?? null,
      },
      nowMs,
    );
  } catch {
    return "";
  } finally {
    db?.close();
  }
}

/** Runs the user's own status line with the same stdin; its stdout, or "" when it fails or hangs. */
export async function runWrapped(
  cmd: string[],
  stdinText: string,
  childEnv: Record<string, string | undefined>,
): Promise<string> {
  if (cmd.length === 0) return "";
  // One argument is a command line as Claude Code would run it (through the shell).
  const argv = cmd.length === 1 ? ["/bin/sh", "-c", cmd[0] as string] : cmd;
  try {
    // Its own process group, so a hung command and everything it started can be killed together.
    const child = Bun.spawn(argv, {
      stdin: new Blob([stdinText]),
      stdout: "pipe",
      stderr: "ignore",
      env: childEnv,
      detached: true,
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
        resolve("");
      }, WRAPPED_TIMEOUT_MS);
    });
    try {
      return await Promise.race([new Response(child.stdout).text(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  } catch {
    return "";
  }
}

async function readStdin(): Promise<string> {
  // Run by hand in a terminal there is no payload: do not wait for one.
  if (isTerminal(0)) return "";
  try {
    return await Bun.stdin.text();
  } catch {
    return "";
  }
}

/** The whole command: their line first (unchanged), ours after it. Always exits 0. */
export async function runStatusline(wrapped: string[]): Promise<number> {
  try {
    const stdinText = await readStdin();
    const theirs = runWrapped(wrapped, stdinText, process.env);
    const ours = poolStatusLine(process.env, stdinText, Date.now());
    const text = (await theirs).replace(/\n+$/, "");
    const out = [text, ours].filter((s) => s !== "").join("\n");
    if (out !== "") await Bun.write(Bun.stdout, `${out}\n`);
  } catch {
    // Never fail the status line.
  }
  return 0;
}
