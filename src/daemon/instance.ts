// One daemon per CCP_HOME. The claim lives in the database (meta `daemon_owner`), taken in an
// IMMEDIATE transaction so two daemons starting at once cannot both win. A running daemon of the
// same or a newer version keeps its place; an older one is replaced and notices on its next tick.
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Db, writeTx } from "../store/db.ts";
import { DAEMON_HEARTBEAT_KEY, DAEMON_HEARTBEAT_STALE_MS, getMeta, setMeta } from "../store/meta.ts";
import { pidAlive } from "../store/sessions.ts";
import { readRegularFileBounded } from "../fs/safe-path.ts";

export const DAEMON_OWNER_KEY = "daemon_owner";
export const DAEMON_PID_FILE = "daemon.pid";

export interface DaemonOwner {
  pid: number;
  version: string;
  startedAtMs: number;
  /** Tells two claims by the same pid apart (pid reuse, a restart in the same process). */
  nonce: string;
}

export type ClaimResult =
  | { granted: true; replaced: DaemonOwner | null }
  | { granted: false; holder: DaemonOwner; reason: "same-version" | "newer-version" };

export function newOwner(version: string, nowMs: number, pid = process.pid): DaemonOwner {
  return { pid, version, startedAtMs: nowMs, nonce: randomBytes(8).toString("hex") };
}

export function readDaemonOwner(db: Db): DaemonOwner | undefined {
  const raw = getMeta(db, DAEMON_OWNER_KEY);
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<DaemonOwner>;
    if (typeof v.pid !== "number" || typeof v.version !== "string" || typeof v.nonce !== "string")
      return undefined;
    return { pid: v.pid, version: v.version, startedAtMs: Number(v.startedAtMs ?? 0), nonce: v.nonce };
  } catch {
    return undefined;
  }
}

/** Orders dotted versions numerically; a pre-release (`1.2.0-rc.1`) sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string): { nums: number[]; pre: string } => {
    const [core = "", pre = ""] = v.trim().replace(/^v/, "").split("-", 2);
    return { nums: core.split(".").map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === "") return 1;
  if (y.pre === "") return -1;
  return x.pre < y.pre ? -1 : 1;
}

/**
 * Claims the pool for `me`. A holder that is alive with a fresh heartbeat keeps it unless `me` is
 * a newer version (an upgrade hands over); a dead or silent holder is replaced.
 */
export function claimDaemon(
  db: Db,
  me: DaemonOwner,
  nowMs: number,
  isAlive: (pid: number) => boolean = pidAlive,
): ClaimResult {
  return writeTx(db, (): ClaimResult => {
    const holder = readDaemonOwner(db);
    const beatMs = Number(getMeta(db, DAEMON_HEARTBEAT_KEY) ?? 0);
    const active =
      holder !== undefined &&
      holder.nonce !== me.nonce &&
      holder.pid !== me.pid &&
      isAlive(holder.pid) &&
      nowMs - beatMs < DAEMON_HEARTBEAT_STALE_MS;
    if (active && holder) {
      const order = compareVersions(me.version, holder.version);
      if (order <= 0)
        return { granted: false, holder, reason: order === 0 ? "same-version" : "newer-version" };
    }
    setMeta(db, DAEMON_OWNER_KEY, JSON.stringify(me));
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(nowMs));
    return { granted: true, replaced: holder && holder.nonce !== me.nonce ? holder : null };
  });
}

/**
 * Writes the heartbeat if `me` still owns the pool. Returns the current holder when someone else
 * took over (the caller steps aside), undefined when the beat was written.
 */
export function beatDaemon(
  db: Db,
  me: DaemonOwner,
  nowMs: number,
): { ownerNow: DaemonOwner | null } | undefined {
  return writeTx(db, () => {
    const holder = readDaemonOwner(db);
    if (holder?.nonce !== me.nonce) return { ownerNow: holder ?? null };
    setMeta(db, DAEMON_HEARTBEAT_KEY, String(nowMs));
    return undefined;
  });
}

/**
 * Gives the pool up on a clean exit: the claim and the heartbeat go, so `select` samples live at
 * once instead of trusting a daemon that is gone.
 */
export function releaseDaemon(db: Db, me: DaemonOwner): void {
  writeTx(db, () => {
    if (readDaemonOwner(db)?.nonce !== me.nonce) return;
    db.run("DELETE FROM meta WHERE key IN (?, ?)", [DAEMON_OWNER_KEY, DAEMON_HEARTBEAT_KEY]);
  });
}

export function daemonPidPath(ccpHome: string): string {
  return join(ccpHome, DAEMON_PID_FILE);
}

export function writePidFile(ccpHome: string, pid = process.pid): void {
  const path = daemonPidPath(ccpHome);
  const temp = `${path}.${pid}.tmp`;
  writeFileSync(temp, `${pid}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

const PID_FILE_MAX_BYTES = 4096;

export function readPidFile(ccpHome: string): number | undefined {
  try {
    // Bounded and never a FIFO: select and status read this on every launch.
    const text = readRegularFileBounded(daemonPidPath(ccpHome), PID_FILE_MAX_BYTES)?.toString("utf8") ?? "";
    const pid = Number.parseInt(text.trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the pid file when it still names `pid` (a successor may have written its own). */
export function removePidFile(ccpHome: string, pid = process.pid): void {
  if (readPidFile(ccpHome) === pid) rmSync(daemonPidPath(ccpHome), { force: true });
}
