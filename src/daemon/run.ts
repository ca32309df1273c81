// The daemon proper: claims the pool, then carries out the schedule (schedule.ts) until SIGTERM or
// until a newer daemon takes over. Alongside the polls it reaps dead sessions, records claude
// sessions started outside `ccp run`, refreshes idle accounts' tokens before they expire, and keeps
// the overlays in step. It never prompts and never keeps a token in memory between polls.
import { existsSync, realpathSync, statSync } from "node:fs";
import { openPool } from "../app/pool.ts";
import { recoverAccount, refreshDueAtMs, refreshIdleAccount } from "../app/refresh.ts";
import {
  MAX_AUTO_REQUESTS_PER_WINDOW,
  budgetWindowMs,
  freshFromStatusline,
  noteRequests,
  withinBudget,
} from "../app/request-budget.ts";
import { type PollResult, pollAccount, recordPoll } from "../app/sample.ts";
import { readPool } from "../app/select.ts";
import { rankAccounts } from "../score/rank.ts";
import type { Env } from "../env.ts";
import { ensureBaseSharedDirs, syncOverlay } from "../overlay/symlinks.ts";
import { createCredentialStore } from "../secrets/index.ts";
import type { CredentialStore } from "../secrets/types.ts";
import { type AccountRow, accountDirName, listAccounts } from "../store/accounts.ts";
import { type Db, writeTx } from "../store/db.ts";
import { allHealth, updateHealth } from "../store/health.ts";
import { getMeta, setMeta } from "../store/meta.ts";
import {
  type OpenSession,
  anyReapable,
  isReservation,
  liveSessions,
  openSessions,
  reapSessions,
} from "../store/sessions.ts";
import { newestSamples, pruneSamples } from "../store/usage.ts";
import { redactSecrets } from "../usage/errors.ts";
import { describeRefreshOutcome } from "../usage/refresh.ts";
import { releaseLoadedPages } from "../app/release-memory.ts";
import { isTerminal, writeErr } from "../ui/output.ts";
import { VERSION } from "../version.ts";
import {
  type DaemonOwner,
  beatDaemon,
  claimDaemon,
  newOwner,
  releaseDaemon,
  removePidFile,
  writePidFile,
} from "./instance.ts";
import { type DaemonLog, daemonLogPath, openDaemonLog } from "./log.ts";
import { type PoolFacts, claimNotice, poolFacts, showNotice, transitions } from "./notify.ts";
import { outcomeOf, pollWithLadder } from "./poll.ts";
import {
  type FoundSession,
  type ProcessLister,
  ProcessScanner,
  findSessions,
  normalizeConfigDir,
  platformLister,
} from "./process-scan.ts";
import {
  type AccountSchedule,
  type PoolSchedule,
  type ScheduleConfig,
  applyOutcome,
  backoffDelayMs,
  initialSchedule,
  markNeedsLogin,
  nextAction,
  scheduleConfig,
  syncAccounts,
} from "./schedule.ts";
import { stableDaemonProgram } from "./service-files.ts";
import { sourceEntry } from "../app/self-path.ts";
import { recordFoundSessions } from "./sessions.ts";
import { Chore, dirStamp } from "./idle.ts";
import { LAST_POLL_KEY, PAUSED_UNTIL_KEY, recordDaemonError } from "./state.ts";
import { isFromTheFuture } from "../clock-skew.ts";

/** Samples, ended sessions and refresh records older than this are dropped. */
export const HISTORY_KEEP_MS = 14 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** The heartbeat is written this often at the default interval (stale after 90 s). */
const MAX_TICK_MS = 15_000;
const MIN_TICK_MS = 250;
/**
 * The heartbeat (a write transaction) is written at most this often however short the tick:
 * stale after 90 s, it needs no more, and a beat every tick kept a fast-polling daemon busy.
 */
const MIN_BEAT_EVERY_MS = 5_000;
/** Process scans and session reaping at most this often at the default interval. */
const MAX_HOUSEKEEPING_MS = 30_000;
/** Idle accounts' expiry is checked at most this often at the default interval. */
const MAX_REFRESH_CHECK_MS = 60_000;
/**
 * A stored login is read again after this many refresh checks even when its expiry is far off:
 * the expiry is remembered in between, so an idle check reads no credential at all.
 */
const EXPIRY_REREAD_CHECKS = 5;

export interface DaemonOptions {
  now?: () => number;
  random?: () => number;
  /** The version claimed in the pool (handover goes to the newer one). */
  version?: string;
  /** null: do not scan processes. Default: the platform's lister. */
  processes?: ProcessLister | null;
  log?: DaemonLog;
  /** Stops the daemon like SIGTERM (for running it in-process). */
  signal?: AbortSignal;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (the `ccp daemon` command does). */
  handleSignals?: boolean;
  /** Identifies the installed binary; a change means an upgrade (default: see installedBinary). */
  binaryIdentity?: () => string | null;
}

/** Exit status after an upgrade: non-zero, so launchd and systemd start the new binary. */
export const EXIT_UPGRADED = 75;

/**
 * The installed binary behind the path this daemon was started through (for a compiled binary
 * only): Homebrew repoints `opt/cc-pool` and `bin/ccp` at a new Cellar dir on upgrade.
 */
export function installedBinary(pathEnv: string): string | null {
  return installedBinaryProbe(pathEnv)();
}

/**
 * installedBinary as a probe: the stable path is worked out once (a search of PATH), each call
 * then only resolves it, since an upgrade repoints that path, not the one found.
 */
export function installedBinaryProbe(pathEnv: string): () => string | null {
  if (sourceEntry(process.argv[1]) !== undefined) return () => null;
  let program: string | undefined;
  return () => {
    program ??= stableDaemonProgram({
      execPath: process.execPath,
      argv0: process.argv0,
      script: process.argv[1],
      pathEnv,
      cwd: process.cwd(),
    })[0] as string;
    try {
      const real = realpathSync(program);
      const st = statSync(real);
      return `${real}:${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return null;
    }
  };
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(Math.max(value, lo), hi);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener("abort", done, { once: true });
  });
}

function label(account: AccountRow): string {
  return `${accountDirName(account.id)} (${account.name})`;
}

function describePoll(result: PollResult): string {
  if (result.status === "ok" && result.snapshot) {
    const s = result.snapshot;
    const pct = (v: number | null | undefined): string => (v == null ? "?" : `${Math.round(v)}%`);
    return `ok: 5h ${pct(s.util5Pct)}, 7d ${pct(s.util7Pct)}`;
  }
  return `${result.status}: ${result.error ?? "no detail"}`;
}

/** The schedule a (re)started daemon resumes from: backoffs and the pool pause survive a restart. */
function loadSchedule(db: Db, cfg: ScheduleConfig, nowMs: number, pausedUntilMs: number): PoolSchedule {
  const health = allHealth(db);
  const accounts = listAccounts(db);
  const states = accounts.map((a): AccountSchedule => {
    const h = health.get(a.id);
    return {
      id: a.id,
      backoffStep: h?.backoffStep ?? 0,
      // A wait longer than the longest cadence is a clock jump or a bug: do not honour it.
      notBeforeMs: Math.min(
        h?.nextPollAtMs ?? 0,
        nowMs + Math.max(cfg.needsLoginPollMs, ...cfg.backoffStepsMs),
      ),
      authFailures: h?.consecutiveAuthFailures ?? 0,
      needsLogin: h?.needsLogin ?? false,
    };
  });
  // Accounts sampled within the interval (by `select`, or a daemon that just died) wait their
  // turn: a crash-looping daemon must not poll the pool on every start.
  const newest = newestSamples(db);
  // A sample dated in the future (a clock that was ahead) counts as never taken: polling starts now.
  const taken = accounts.map((a) => {
    const t = newest.get(a.id)?.takenAtMs ?? 0;
    return isFromTheFuture(t, nowMs) ? 0 : t;
  });
  const firstSweepAtMs =
    taken.length > 0 && taken.every((t) => nowMs - t < cfg.intervalMs)
      ? Math.min(Math.min(...taken) + cfg.intervalMs, nowMs + cfg.intervalMs)
      : nowMs;
  return initialSchedule(states, firstSweepAtMs, Math.min(pausedUntilMs, nowMs + cfg.retryAfterCapMs));
}

/**
 * Going idle, the daemon hands back the file-backed pages it touched (app/release-memory.ts): most
 * were touched once, at start-up (they go before the first sweep); a sweep needs ~20 MiB of them
 * again. At most this often: each release costs ~2-3 ms and the next sweep faults its pages back
 * in, which a fast poll interval would pay on every sweep (at the default interval every sweep
 * is followed by a release anyway). Measured with 20 accounts at a 2 s interval: resident after
 * 10 sweeps ~34 MiB with releases every 5 s or every 30 s; between releases under ~40 MiB.
 */
const RELEASE_EVERY_MS = 30_000;
/** Idle spells shorter than this keep their pages. */
const RELEASE_MIN_IDLE_MS = 250;

/** Runs the daemon until it is stopped or steps aside. Returns the exit code. */
export async function runDaemon(env: Env, options: DaemonOptions = {}): Promise<number> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const log =
    options.log ??
    openDaemonLog(daemonLogPath(env.ccpHome), {
      echo: isTerminal(2) ? (line) => writeErr(line) : undefined,
      debug: env.debug,
    });
  const db = openPool(env);
  const me = newOwner(options.version ?? VERSION, now());
  const claim = claimDaemon(db, me, now());
  if (!claim.granted) {
    const why = claim.reason === "same-version" ? "is already running" : "of a newer version is running";
    log.info(`another daemon ${why} (pid ${claim.holder.pid}, version ${claim.holder.version}); exiting`);
    db.close();
    return 0;
  }
  writePidFile(env.ccpHome);
  if (claim.replaced)
    log.info(`took over from pid ${claim.replaced.pid} (version ${claim.replaced.version})`);
  log.info(`daemon ${me.version} started (pid ${me.pid}, CCP_HOME ${env.ccpHome})`);
  log.debug(`poll interval: ${env.pollIntervalMs === undefined ? "default" : `${env.pollIntervalMs} ms`}`);

  const daemon = new Daemon(
    env,
    db,
    me,
    log,
    now,
    random,
    options.binaryIdentity ?? installedBinaryProbe(env.path),
  );
  const stop = (why: string): void => daemon.stop(why);
  const onTerm = (): void => stop("SIGTERM");
  const onInt = (): void => stop("SIGINT");
  const onHup = (): void => stop("SIGHUP");
  if (options.handleSignals) {
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    process.on("SIGHUP", onHup);
  }
  options.signal?.addEventListener("abort", () => stop("stop requested"), { once: true });
  if (options.signal?.aborted) stop("stop requested");
  try {
    const lister = options.processes === undefined ? await platformLister() : options.processes;
    return await daemon.run(lister);
  } finally {
    if (options.handleSignals) {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      process.off("SIGHUP", onHup);
    }
    daemon.close();
  }
}

class Daemon {
  private readonly cfg: ScheduleConfig;
  private readonly store: CredentialStore;
  private readonly stopper = new AbortController();
  private stopReason: string | null = null;
  private handedTo: DaemonOwner | null = null;
  private upgraded = false;
  private state: PoolSchedule;
  private accounts: AccountRow[] = [];
  private scanner: ProcessScanner | null = null;
  private scanFailed = false;
  /** PRAGMA data_version when the accounts were last read: unchanged, nothing else wrote the db. */
  private dataVersion: number | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly tickMs: number;
  private readonly beatEveryMs: number;
  private lastBeatAtMs = Number.NEGATIVE_INFINITY;
  private readonly housekeepingMs: number;
  private readonly refreshCheckMs: number;
  private nextHousekeepingAtMs = 0;
  private readonly upgradeCheckMs: number;
  private nextUpgradeCheckAtMs = 0;
  private nextPruneAtMs = 0;
  /** Once per sweep (see Chore): every overlay checked, every login's expiry, every process read. */
  private readonly overlayChore: Chore;
  private readonly refreshChore: Chore;
  private readonly fullScanChore: Chore;
  private readonly refreshRetryAtMs = new Map<number, number>();
  /** No need to read the account's stored login before then (its expiry is far off). */
  private readonly expiryCheckAtMs = new Map<number, number>();
  /** dirStamp of ~/.claude and of each account dir at their last clean sync. */
  private baseStamp = "";
  private readonly overlayStamps = new Map<number, string>();
  private readonly loggedBusy = new Set<number>();
  private readonly loggedOverBudget = new Set<number>();
  private facts: PoolFacts | null = null;
  /** Accounts polled (or reported by a status line) since this daemon started. */
  private readonly looked = new Set<number>();
  private keychainLocked = false;
  private readonly overlayTrouble = new Map<number, string>();

  constructor(
    private readonly env: Env,
    private readonly db: Db,
    private readonly me: DaemonOwner,
    private readonly log: DaemonLog,
    private readonly now: () => number,
    private readonly random: () => number,
    private readonly binaryIdentity: () => string | null,
  ) {
    this.cfg = scheduleConfig(env.pollIntervalMs);
    this.store = createCredentialStore(env);
    this.tickMs = clamp(Math.round(this.cfg.intervalMs / 4), MIN_TICK_MS, MAX_TICK_MS);
    this.beatEveryMs = Math.max(this.tickMs, MIN_BEAT_EVERY_MS);
    this.housekeepingMs = clamp(Math.round(this.cfg.intervalMs / 6), MIN_TICK_MS, MAX_HOUSEKEEPING_MS);
    this.refreshCheckMs = clamp(this.cfg.intervalMs, MIN_TICK_MS, MAX_REFRESH_CHECK_MS);
    // As often as the housekeeping at the default interval; a fast schedule need not look faster.
    this.upgradeCheckMs = Math.max(this.housekeepingMs, MIN_BEAT_EVERY_MS);
    this.overlayChore = new Chore(this.cfg.intervalMs);
    this.refreshChore = new Chore(this.refreshCheckMs);
    this.fullScanChore = new Chore(this.cfg.intervalMs);
    const paused = Number(getMeta(db, PAUSED_UNTIL_KEY) ?? 0);
    this.state = loadSchedule(db, this.cfg, now(), Number.isFinite(paused) ? paused : 0);
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  stop(why: string): void {
    if (this.stopped) return;
    this.stopReason = why;
    this.stopper.abort();
  }

  /** Beats when the last beat is `beatEveryMs` old (or older, or from a clock set back). */
  private beatWhenDue(): void {
    const t = this.now();
    if (t - this.lastBeatAtMs >= this.beatEveryMs || t < this.lastBeatAtMs) this.beat();
  }

  private beat(): void {
    if (this.stopped) return;
    try {
      this.lastBeatAtMs = this.now();
      const lost = beatDaemon(this.db, this.me, this.lastBeatAtMs);
      if (lost) {
        this.handedTo = lost.ownerNow;
        this.stop("another daemon took over");
      }
    } catch (error) {
      this.log.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }

  private busySinceRelease = true;
  private nextReleaseAtMs = 0;

  async run(lister: ProcessLister | null): Promise<number> {
    this.scanner = lister ? new ProcessScanner(lister) : null;
    this.heartbeat = setInterval(() => this.beatWhenDue(), this.beatEveryMs);
    // What start-up touched (argument parsing, the modules loading) is not needed again: handed
    // back before the first sweep, so the peak is not start-up and a sweep on top of each other.
    await releaseLoadedPages();
    const binary = this.binaryIdentity();
    let code = 0;
    try {
      while (!this.stopped) {
        if (!existsSync(this.env.dbPath)) {
          this.log.info("the pool database is gone; stopping");
          break;
        }
        this.beatWhenDue();
        if (this.stopped) break;
        this.readAccounts();
        const t = this.now();
        if (
          binary !== null &&
          (t >= this.nextUpgradeCheckAtMs || t < this.nextUpgradeCheckAtMs - this.upgradeCheckMs)
        ) {
          this.nextUpgradeCheckAtMs = t + this.upgradeCheckMs;
          if (this.binaryIdentity() !== binary) {
            this.upgraded = true;
            this.log.info("cc-pool was upgraded; exiting so the new version takes over");
            break;
          }
        }
        if (t >= this.nextHousekeepingAtMs) {
          this.nextHousekeepingAtMs = this.now() + this.housekeepingMs;
          if (!(await this.survivingBusy(() => this.housekeeping(t)))) continue;
          this.nextHousekeepingAtMs = this.now() + this.housekeepingMs;
          if (this.stopped) break;
        }
        const next = nextAction(this.cfg, this.state, this.now(), this.random());
        this.state = next.state;
        if (next.action.kind === "poll") {
          const { accountId, probe } = next.action;
          // The once-per-sweep work rides along with the sweep's first poll instead of waking the
          // daemon between sweeps. The poll is already out of the queue: it happens either way.
          await this.survivingBusy(() => this.chores(this.now(), (c) => c.ripe(this.now()), false));
          if (this.stopped) break;
          await this.survivingBusy(() => this.pollOne(accountId, probe));
          this.busySinceRelease = true;
          continue;
        }
        const wakeAtMs = Math.min(next.action.untilMs, this.nextHousekeepingAtMs, this.now() + this.tickMs);
        if (
          this.busySinceRelease &&
          this.now() >= this.nextReleaseAtMs &&
          wakeAtMs - this.now() >= RELEASE_MIN_IDLE_MS
        ) {
          this.busySinceRelease = false;
          this.nextReleaseAtMs = this.now() + RELEASE_EVERY_MS;
          await releaseLoadedPages();
        }
        await sleep(wakeAtMs - this.now(), this.stopper.signal);
      }
    } catch (error) {
      code = 1;
      this.log.error(`daemon crashed: ${redactSecrets((error as Error)?.stack ?? String(error))}`);
    }
    if (this.upgraded && code === 0) code = EXIT_UPGRADED;
    if (this.handedTo)
      this.log.info(`pid ${this.handedTo.pid} (version ${this.handedTo.version}) took over; stepping aside`);
    else if (this.stopReason) this.log.info(`stopping (${this.stopReason})`);
    return code;
  }

  /**
   * The accounts, read again only when another connection wrote the database since the last
   * read (PRAGMA data_version): an idle pool costs one pragma per wakeup, not a query.
   */
  private readAccounts(): void {
    let version: number | undefined;
    try {
      version = this.db.query<{ data_version: number }, []>("PRAGMA data_version").get()?.data_version;
    } catch {
      version = undefined;
    }
    if (version !== undefined && version === this.dataVersion) return;
    this.accounts = listAccounts(this.db);
    this.dataVersion = version;
    this.state = syncAccounts(
      this.state,
      this.accounts.map((a) => a.id),
    );
  }

  /**
   * Runs one step; a database held locked by another process past the busy timeout is logged
   * and waited out instead of ending the daemon. Returns false when the step was cut short.
   */
  private async survivingBusy(step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (error) {
      if (!/database is locked|SQLITE_BUSY/i.test(String((error as Error)?.message))) throw error;
      this.log.warn("the pool database is locked by another process; waiting");
      await sleep(Math.min(this.tickMs, 5_000), this.stopper.signal);
      return false;
    }
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      releaseDaemon(this.db, this.me);
    } catch {
      // A locked or vanished database: the heartbeat goes stale on its own.
    }
    removePidFile(this.env.ccpHome, this.me.pid);
    this.db.close();
  }

  /**
   * Claude sessions among the processes. `full` reads every process again; otherwise only the
   * ones not seen before (see ProcessScanner). `open` are the open sessions, read by the caller.
   */
  private scan(full: boolean, open: readonly OpenSession[]): { found: FoundSession[]; ok: boolean } {
    if (!this.scanner) return { found: [], ok: false };
    try {
      const dirs = new Map(this.accounts.map((a) => [normalizeConfigDir(a.configDir), a.id]));
      const shims = open.filter((s) => s.kind === "run" && s.pid !== null).map((s) => s.pid as number);
      const covered = new Set([process.pid, ...shims]);
      const found = findSessions(this.scanner.list(full), dirs, covered);
      this.scanFailed = false;
      return { found, ok: true };
    } catch (error) {
      if (!this.scanFailed) this.log.warn(`process scan failed: ${(error as Error).message}`);
      this.scanFailed = true;
      return { found: [], ok: false };
    }
  }

  private recordScan(found: readonly FoundSession[], open: readonly OpenSession[]): void {
    // Sessions already on record need no write transaction (a long session is found every round).
    const known = new Set(open.map((s) => s.pid));
    if (found.every((f) => known.has(f.pid))) return;
    const scanner = this.scanner;
    let recorded: ReturnType<typeof recordFoundSessions>;
    try {
      recorded = writeTx(this.db, () =>
        recordFoundSessions(this.db, found, this.now(), (pid) => scanner?.cwd(pid) ?? null),
      );
    } catch (error) {
      this.log.warn(`could not record the sessions found (${(error as Error).message})`);
      return;
    }
    if (recorded.added + recorded.adopted > 0)
      this.log.info(
        `found ${recorded.added + recorded.adopted} claude session(s) started outside \`ccp run\``,
      );
  }

  /** Scans (all processes when `full`, or when a reservation waits for its claude) and records. */
  private scanAndRecord(t: number, full: boolean): void {
    if (!this.scanner) return;
    const open = openSessions(this.db, t);
    // A `ccp select` reservation stands for a claude about to start, perhaps by exec from a
    // process already seen: until it is taken over, every scan reads every process.
    const all = full || open.some(isReservation);
    this.recordScan(this.scan(all, open).found, open);
    if (all) this.fullScanChore.done(t);
  }

  /** True when nothing runs on the account: no session row, and no claude found by a fresh scan. */
  private isIdle(account: AccountRow): boolean {
    if (liveSessions(this.db, this.now()).some((s) => s.accountId === account.id)) return false;
    const open = openSessions(this.db, this.now());
    const { found } = this.scan(true, open);
    this.recordScan(found, open);
    return !found.some((f) => f.accountId === account.id);
  }

  /**
   * Every housekeepingMs: ended sessions closed and new processes looked at while a session is
   * open or expected (a reservation), overdue chores done. With no session at all, a round is one
   * query: claude sessions started by hand are found by the full scan of each sweep, and one
   * started from `ccp select` comes with its reservation.
   */
  private async housekeeping(t: number): Promise<void> {
    // Rows not ended, expired reservations included (they are closed here too).
    const watching = openSessions(this.db, 0).length > 0;
    // Checked with a read first: most rounds have nothing to close and need no write transaction.
    const reaped = watching && anyReapable(this.db, t) ? writeTx(this.db, () => reapSessions(this.db, t)) : 0;
    if (reaped > 0) this.log.info(`closed ${reaped} ended session(s)`);
    await this.chores(t, (c) => c.overdue(t), watching);
    if (t >= this.nextPruneAtMs) {
      this.prune(t);
      this.nextPruneAtMs = t + PRUNE_EVERY_MS;
    }
  }

  /**
   * The work due about once per sweep, each piece when `due` says so (ripe alongside a poll,
   * overdue in a housekeeping round). `watching`: scan the processes anyway, if only the new ones.
   */
  private async chores(t: number, due: (c: Chore) => boolean, watching: boolean): Promise<void> {
    const fullScan = due(this.fullScanChore);
    if (watching || fullScan) this.scanAndRecord(t, fullScan);
    if (fullScan) this.busySinceRelease = true;
    if (due(this.overlayChore)) {
      this.syncOverlays();
      this.overlayChore.done(t);
      this.busySinceRelease = true;
    }
    if (due(this.refreshChore)) {
      await this.refreshExpiring();
      this.refreshChore.done(this.now());
      this.busySinceRelease = true;
    }
  }

  /**
   * Keeps every account's overlay in step with ~/.claude. An overlay depends on the top level of
   * ~/.claude and of the account dir only, so an account whose two stamps (dirStamp) are as at
   * its last clean sync is skipped: an idle pool costs a stat per dir, not a readdir and a
   * readlink per entry. One with trouble (a conflict) is synced every time, as before.
   */
  private syncOverlays(): void {
    const baseStamp = dirStamp(this.env.claudeDir);
    if (baseStamp === "" || baseStamp !== this.baseStamp) {
      try {
        const dirs = ensureBaseSharedDirs(this.env.claudeDir);
        if (dirs.created.length > 0)
          this.log.info(`created shared dirs in ~/.claude: ${dirs.created.join(", ")}`);
        this.baseStamp = baseStamp;
      } catch (error) {
        this.log.warn((error as Error).message);
        this.baseStamp = "";
      }
    }
    const ids = new Set(this.accounts.map((a) => a.id));
    for (const id of this.overlayStamps.keys()) if (!ids.has(id)) this.overlayStamps.delete(id);
    for (const account of this.accounts) {
      const accountStamp = dirStamp(account.configDir);
      const stamp = baseStamp === "" || accountStamp === "" ? "" : `${baseStamp}|${accountStamp}`;
      if (stamp !== "" && this.overlayStamps.get(account.id) === stamp) continue;
      this.overlayStamps.delete(account.id);
      let trouble = "";
      try {
        const report = syncOverlay(
          { baseDir: this.env.claudeDir, accountDir: account.configDir },
          { mergeIntoBase: true },
        );
        for (const m of report.merged) {
          this.log.info(
            `${label(account)}: merged ${m.name} into ~/.claude (${m.moved} moved, ${m.duplicates} identical)`,
          );
        }
        const changed = report.created.length + report.fixed.length + report.removed.length;
        if (changed > 0) this.log.info(`${label(account)}: overlay updated (${changed} link(s))`);
        if (report.conflicts.length > 0)
          trouble = `overlay conflicts: ${report.conflicts.map((c) => c.name).join(", ")}`;
      } catch (error) {
        trouble = `overlay not synced: ${(error as Error).message}`;
      }
      // The stamps were taken before the sync: what it changed itself is looked at once more.
      if (trouble === "" && stamp !== "") this.overlayStamps.set(account.id, stamp);
      // Logged when it changes, not on every pass.
      if (trouble !== (this.overlayTrouble.get(account.id) ?? "")) {
        if (trouble) this.log.warn(`${label(account)}: ${trouble}`);
        this.overlayTrouble.set(account.id, trouble);
      }
    }
  }

  private async refreshExpiring(): Promise<void> {
    const health = allHealth(this.db);
    for (const account of this.accounts) {
      if (this.stopped) return;
      const t = this.now();
      if ((this.refreshRetryAtMs.get(account.id) ?? 0) > t) continue;
      const h = health.get(account.id);
      // A refresh token the server already refused stays dead until the account logs in again.
      if (h?.needsLogin && h.refreshFailed) continue;
      // Its expiry was far off at the last read: nothing to read yet. A login stored since (a
      // session's refresh, a new login) expires later still, and is read at the next re-read.
      if ((this.expiryCheckAtMs.get(account.id) ?? 0) > t) continue;
      let dueAtMs: number;
      try {
        dueAtMs = await refreshDueAtMs(this.store, account.configDir);
      } catch (error) {
        this.log.warn(`${label(account)}: cannot read the stored login: ${(error as Error).message}`);
        this.refreshRetryAtMs.set(account.id, t + backoffDelayMs(this.cfg, 0));
        continue;
      }
      if (t <= dueAtMs) {
        this.expiryCheckAtMs.set(
          account.id,
          Math.min(dueAtMs, t + EXPIRY_REREAD_CHECKS * this.refreshCheckMs),
        );
        this.loggedBusy.delete(account.id);
        continue;
      }
      this.expiryCheckAtMs.delete(account.id);
      if (!this.isIdle(account)) {
        if (!this.loggedBusy.has(account.id))
          this.log.info(
            `${label(account)}: token expires soon, but a session is running: the session refreshes it`,
          );
        this.loggedBusy.add(account.id);
        continue;
      }
      const outcome = await refreshIdleAccount(this.env, this.db, this.store, account, { now: this.now });
      this.log.info(`${label(account)}: ${describeRefreshOutcome(outcome)}`);
      // An unknown outcome is not retried at once: the next attempt re-reads the stored chain
      // first (whoever got the answer may have stored it) and only then decides.
      if (
        outcome.status === "transient" ||
        outcome.status === "no-credential" ||
        outcome.status === "outcome-unknown"
      )
        this.refreshRetryAtMs.set(account.id, this.now() + backoffDelayMs(this.cfg, 0));
      if (outcome.status === "needs-login") {
        this.state = markNeedsLogin(this.cfg, this.state, account.id, this.now());
        this.safeWrite(account, () =>
          recordDaemonError(this.db, `${label(account)}: needs a new login`, this.now()),
        );
      }
    }
  }

  /**
   * A write about one account. A failure (the account removed meanwhile, a database held locked
   * past the busy timeout, a full disk) is logged and the daemon goes on: it must never exit over
   * one account's bookkeeping.
   */
  private safeWrite(account: AccountRow, fn: () => void): void {
    try {
      writeTx(this.db, fn);
    } catch (error) {
      this.log.warn(`${label(account)}: could not record the result (${(error as Error).message})`);
    }
  }

  private prune(t: number): void {
    const before = t - HISTORY_KEEP_MS;
    writeTx(this.db, () => {
      pruneSamples(this.db, before);
      this.db.run("DELETE FROM sessions WHERE ended_at_ms IS NOT NULL AND ended_at_ms < ?", [before]);
      this.db.run("DELETE FROM refresh_log WHERE at_ms < ?", [before]);
    });
  }

  /**
   * Polite polling: a session that just reported this account's usage through the status line
   * makes the poll unnecessary, and an account whose hourly request budget is spent waits.
   */
  private skipPoll(account: AccountRow): boolean {
    const t = this.now();
    if (freshFromStatusline(this.db, this.env, account.id, t)) {
      this.log.info(`${label(account)}: poll skipped, a session reported its usage through the status line`);
      return true;
    }
    if (!withinBudget(this.db, this.env, account.id, t)) {
      if (!this.loggedOverBudget.has(account.id))
        this.log.warn(
          `${label(account)}: ${MAX_AUTO_REQUESTS_PER_WINDOW} usage requests in the last hour; waiting before the next`,
        );
      this.loggedOverBudget.add(account.id);
      return true;
    }
    this.loggedOverBudget.delete(account.id);
    return false;
  }

  private async pollOne(accountId: number, probe: boolean): Promise<void> {
    const account = this.accounts.find((a) => a.id === accountId);
    if (!account) return;
    // First access after an interrupted write: the newest complete copy becomes the login.
    const recovered = await recoverAccount(this.env, this.db, this.store, account).catch(() => undefined);
    if (recovered?.recovery)
      this.log.info(
        `${label(account)}: ${recovered.recovery.adopted ? "recovered the login from an interrupted write" : "removed leftovers of an interrupted write"}`,
      );
    if (this.skipPoll(account)) {
      this.looked.add(account.id);
      await this.notifyChanges();
      return;
    }
    const pollOptions = { timeoutMs: this.cfg.requestTimeoutMs, signal: this.stopper.signal, now: this.now };
    const sentAtMs: number[] = [];
    const ladder = await pollWithLadder({
      poll: async () => {
        const r = await pollAccount(this.env, this.store, account, pollOptions);
        if (r.requested) sentAtMs.push(r.takenAtMs);
        return r;
      },
      isIdle: async () => this.isIdle(account),
      refresh: () =>
        refreshIdleAccount(this.env, this.db, this.store, account, { force: true, now: this.now }),
    });
    const { result } = ladder;
    if (sentAtMs.length > 0) writeTx(this.db, () => noteRequests(this.db, this.env, account.id, sentAtMs));
    // Cut short by shutdown: not a real answer, so nothing is recorded.
    if (this.stopped && result.networkFailure) return;
    const t = this.now();
    let outcome = outcomeOf(result);
    // A 401 for a token that had expired says only that it was not refreshed (yet); "needs login"
    // takes a confirmed invalid_grant or a 401 on a token that is still valid.
    if (outcome.kind === "unauthorized" && result.tokenExpired) outcome = { kind: "error" };
    this.state = applyOutcome(this.cfg, this.state, account.id, outcome, t, this.random());
    if (ladder.refresh?.status === "needs-login")
      this.state = markNeedsLogin(this.cfg, this.state, account.id, t);
    const sched = this.state.accounts.find((a) => a.id === account.id);
    this.safeWrite(account, () => {
      // Removed while it was polled: nothing to record.
      if (!recordPoll(this.db, result)) return;
      const patch: Parameters<typeof updateHealth>[3] = {
        backoffStep: sched?.backoffStep ?? 0,
        nextPollAtMs: sched && sched.notBeforeMs > 0 ? sched.notBeforeMs : null,
      };
      if (outcome.kind === "unauthorized") {
        patch.consecutiveAuthFailures = sched?.authFailures ?? 1;
        patch.lastError = result.error;
        if (sched?.needsLogin) {
          patch.needsLogin = true;
          patch.lastError = `the token was rejected ${sched.authFailures} times in a row: log in again`;
        }
      }
      updateHealth(this.db, account.id, t, patch);
      setMeta(this.db, LAST_POLL_KEY, String(t));
      setMeta(this.db, PAUSED_UNTIL_KEY, String(this.state.pausedUntilMs));
      if (outcome.kind !== "ok") recordDaemonError(this.db, `${label(account)}: ${describePoll(result)}`, t);
    });
    const trail = ladder.steps.length > 1 ? ` [${ladder.steps.join(" > ")}]` : "";
    const extra =
      outcome.kind === "rate-limited" && sched
        ? `; backing off, next try in ${Math.round((sched.notBeforeMs - t) / 1000)}s`
        : "";
    const line = `${label(account)}${probe ? " (outage probe)" : ""}: ${describePoll(result)}${trail}${extra}`;
    if (outcome.kind === "ok") this.log.info(line);
    else this.log.warn(line);
    if (this.state.outage && !probe)
      this.log.warn("no account reachable: outage mode, probing one account at a time");
    this.looked.add(account.id);
    if (result.status === "ok") this.keychainLocked = false;
    else if (result.status === "error" && /keychain.*locked|locked.*keychain/i.test(result.error ?? ""))
      this.keychainLocked = true;
    await this.notifyChanges();
  }

  /** Desktop notifications for what changed since the last poll (see notify.ts). */
  private async notifyChanges(): Promise<void> {
    const t = this.now();
    let cur: PoolFacts;
    try {
      const ranked = rankAccounts(readPool(this.db, t).states, t);
      // The baseline waits for every account's first sample: an unknown account is no news.
      if (ranked.some((a) => !this.looked.has(a.id))) return;
      cur = poolFacts(ranked, this.keychainLocked);
    } catch (error) {
      this.log.warn(`could not check for notifications: ${(error as Error).message}`);
      return;
    }
    const notices = transitions(this.facts, cur);
    this.facts = cur;
    if (!this.env.notify) return;
    for (const notice of notices) {
      const fresh = writeTx(this.db, () => claimNotice(this.db, notice.kind, t, budgetWindowMs(this.env)));
      if (!fresh) {
        this.log.info(`not notifying again within the hour: ${notice.body}`);
        continue;
      }
      const childEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(this.env.raw)) if (v !== undefined) childEnv[k] = v;
      const shown = await showNotice(notice, process.platform, this.env.path, childEnv);
      this.log.info(`notified (${notice.kind}): ${notice.body}${shown ? "" : " [no notifier available]"}`);
    }
  }
}
