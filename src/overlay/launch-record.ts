// What the last launch-time checks of an account found, keyed by the stat signatures of the files
// they read, so that `ccp run` can skip a check (the `.claude.json` merge, the login-override scan)
// when none of those files changed since a run of it that had nothing to do.
//
// Why a signature proves "unchanged": any change to a file — a write, a chmod, a replacement by
// rename — sets its ctime to the file system's clock at that moment, and nothing can set a ctime
// back. A part is recorded only when (1) the signatures taken before the check equal those taken
// after it (nobody, cc-pool included, changed the files while it ran), (2) the check changed and
// reported nothing, and (3) each file's ctime was already older than the timestamp granularity when
// the first signature was taken ("settled"). Given (3), any later change gets a ctime the recorded
// one cannot have, even a same-size write within the same second or a rename that reuses the inode
// number; so equal signatures at the next launch mean the check would read exactly what it read
// then, and would again do nothing. The one assumption is that the file system's clock agrees with
// this machine's within SETTLE_MS (true of local disks; network mounts keep their clocks in sync).
//
// The record lives in the account dir (private, see policy.ts). It is rewritten in place, never by
// rename, so keeping it does not change the account dir's listing; a torn or concurrent write
// leaves invalid JSON, which only means every check runs in full next time.
import { join } from "../fs/posix-path.ts";
import { nodeFs } from "../fs/probe.ts";
import { type SignatureFacts, readFileNoFollow, statFull } from "../fs/reads.ts";

export const LAUNCH_RECORD_FILE = ".cc-pool-launch.json";

/**
 * How old a ctime must be before a signature is trusted. Linux stamps files with a clock that
 * ticks every few ms; a ctime with no digits below 10 ms comes from a coarse file system (1 s on
 * HFS+ and ext3, 2 s on FAT), which gets the longer wait.
 */
export const SETTLE_MS = 1_000;
export const SETTLE_COARSE_MS = 3_000;

const RECORD_MAX_BYTES = 256 * 1024;
/** The signature of a file that does not exist. */
export const MISSING_SIGNATURE = "missing";

export interface SignedFile {
  path: string;
  /** stat (follow a symlink, as the reader does) or lstat (the reader refuses a link). */
  follow: boolean;
}

export interface Signatures {
  sigs: Record<string, string>;
  /** Every file's last change is old enough for its signature to be trusted. */
  settled: boolean;
}

let unreadable = 0;

/** One file's signature: dev, inode, mode, size, mtime and ctime in ns; "missing" when absent. */
function signOne(file: SignedFile, nowNs: bigint): { sig: string; settled: boolean } {
  let stats: SignatureFacts | undefined;
  try {
    stats = statFull(file.path, file.follow);
  } catch {
    // ENOTDIR, EACCES, a link loop: a value no later signature can equal.
    unreadable += 1;
    return { sig: `unreadable:${process.pid}:${unreadable}`, settled: false };
  }
  if (stats === undefined) return { sig: MISSING_SIGNATURE, settled: true };
  const { dev, ino, mode, size, mtimeNs, ctimeNs } = stats;
  const coarse = ctimeNs % 10_000_000n === 0n;
  const settleNs = BigInt(coarse ? SETTLE_COARSE_MS : SETTLE_MS) * 1_000_000n;
  // A ctime in the future (a clock step, a skewed server) is never settled either.
  return { sig: `${dev}:${ino}:${mode}:${size}:${mtimeNs}:${ctimeNs}`, settled: ctimeNs + settleNs <= nowNs };
}

/** The signatures of `files`, taken now (the clock is read before the first stat). */
export function signFiles(files: SignedFile[], nowMs: number = Date.now()): Signatures {
  const nowNs = BigInt(Math.floor(nowMs)) * 1_000_000n;
  const sigs: Record<string, string> = {};
  let settled = true;
  for (const file of files) {
    const one = signOne(file, nowNs);
    sigs[`${file.follow ? "stat" : "lstat"}:${file.path}`] = one.sig;
    if (!one.settled) settled = false;
  }
  return { sigs, settled };
}

export function sameSignatures(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

interface Part {
  sigs: Record<string, string>;
  data?: unknown;
}

function isPart(value: unknown): value is Part {
  if (typeof value !== "object" || value === null) return false;
  const sigs = (value as Part).sigs;
  return (
    typeof sigs === "object" &&
    sigs !== null &&
    !Array.isArray(sigs) &&
    Object.values(sigs).every((v) => typeof v === "string")
  );
}

/** An account's record, loaded once per launch and saved (only when a part changed) before the spawn. */
export class LaunchRecord {
  private dirty = false;

  private constructor(
    readonly path: string,
    private readonly parts: Record<string, Part>,
  ) {}

  /** Never throws: a missing, foreign or broken record is an empty one. */
  static load(accountDir: string): LaunchRecord {
    const path = join(accountDir, LAUNCH_RECORD_FILE);
    const parts: Record<string, Part> = {};
    try {
      // O_NOFOLLOW and O_NONBLOCK: a planted link or FIFO is never followed or waited on.
      const bytes = readFileNoFollow(path, RECORD_MAX_BYTES);
      if (bytes === undefined || bytes.length > RECORD_MAX_BYTES) return new LaunchRecord(path, parts);
      const value = JSON.parse(new TextDecoder().decode(bytes)) as { version?: unknown; parts?: unknown };
      if (value.version === 1 && typeof value.parts === "object" && value.parts !== null) {
        for (const [name, part] of Object.entries(value.parts)) if (isPart(part)) parts[name] = part;
      }
    } catch {
      // No record yet, or one that cannot be trusted: every check runs.
    }
    return new LaunchRecord(path, parts);
  }

  /** The part recorded for exactly these signatures, or undefined (the check must run). */
  unchanged(name: string, current: Signatures): Part | undefined {
    const part = this.parts[name];
    if (part === undefined || !sameSignatures(part.sigs, current.sigs)) return undefined;
    return part;
  }

  /**
   * Records a check that found nothing to do, when it is provably safe to skip it next time:
   * the signatures before and after it are equal and were settled. Otherwise forgets the part.
   */
  settle(name: string, before: Signatures, after: Signatures, data?: unknown): void {
    if (before.settled && sameSignatures(before.sigs, after.sigs)) {
      const part: Part = data === undefined ? { sigs: before.sigs } : { sigs: before.sigs, data };
      if (JSON.stringify(this.parts[name]) === JSON.stringify(part)) return;
      this.parts[name] = part;
    } else {
      if (this.parts[name] === undefined) return;
      delete this.parts[name];
    }
    this.dirty = true;
  }

  /** Forgets a part (its check found something, or failed). */
  forget(name: string): void {
    if (this.parts[name] === undefined) return;
    delete this.parts[name];
    this.dirty = true;
  }

  /** Writes the record in place when a part changed. Never throws: it is only an optimisation. */
  save(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const { closeSync, constants, openSync, writeSync } = nodeFs();
    let fd: number | undefined;
    try {
      fd = openSync(
        this.path,
        constants.O_WRONLY |
          constants.O_CREAT |
          constants.O_TRUNC |
          constants.O_NOFOLLOW |
          constants.O_NONBLOCK,
        0o600,
      );
      // One write at offset 0: a reader sees nothing, a prefix or the whole, never a valid mix.
      writeSync(fd, JSON.stringify({ version: 1, parts: this.parts }), 0);
    } catch {
      // A read-only or full disk: the checks simply run in full next time.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
