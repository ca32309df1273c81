// The launch record: a check may be skipped only while the files it read provably did not change.
// Every stand-in here changes a file the unkind way: in place or by rename, same size, with the
// modification time put back, so only the ctime (and maybe the inode) can tell.
import { beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  LAUNCH_RECORD_FILE,
  LaunchRecord,
  SETTLE_COARSE_MS,
  type SignedFile,
  signFiles,
} from "../../src/overlay/launch-record.ts";
import { tempDir } from "../helpers/cli.ts";

let dir: string;
let file: string;
let files: SignedFile[];

/** A clock far enough ahead that every file written so far counts as settled. */
const later = (): number => Date.now() + SETTLE_COARSE_MS + 1_000;

/**
 * Rewrites `path` with `text` (same length) and puts its modification time back exactly (the file
 * has a whole-second one, see beforeEach: JavaScript's utimes cannot set nanoseconds).
 */
function rewriteKeepingTimes(path: string, text: string, how: "in-place" | "rename"): void {
  const before = statSync(path, { bigint: true });
  if (how === "in-place") {
    writeFileSync(path, text);
  } else {
    writeFileSync(`${path}.tmp.1`, text);
    renameSync(`${path}.tmp.1`, path);
  }
  utimesSync(path, Number(before.mtimeMs) / 1000, Number(before.mtimeMs) / 1000);
  const after = statSync(path, { bigint: true });
  expect([after.size, after.mtimeNs]).toEqual([before.size, before.mtimeNs]);
}

beforeEach(() => {
  dir = join(tempDir("record-"), "acct-01");
  mkdirSync(dir, { recursive: true });
  file = join(dir, ".claude.json");
  writeFileSync(file, '{"theme":"dark"}');
  const wholeSecond = Math.floor(Date.now() / 1000) - 60;
  utimesSync(file, wholeSecond, wholeSecond);
  files = [{ path: file, follow: false }];
});

describe("file signatures", () => {
  test("a file changed in place, same size, modification time put back, no longer matches", () => {
    const before = signFiles(files, later());
    rewriteKeepingTimes(file, '{"theme":"d4rk"}', "in-place");
    expect(statSync(file).size).toBe(16);
    expect(signFiles(files, later()).sigs).not.toEqual(before.sigs);
  });

  test("a file replaced by rename, same size, modification time put back, no longer matches", () => {
    const before = signFiles(files, later());
    rewriteKeepingTimes(file, '{"theme":"d4rk"}', "rename");
    expect(signFiles(files, later()).sigs).not.toEqual(before.sigs);
  });

  test("a file that appears or disappears no longer matches", () => {
    const missing: SignedFile[] = [{ path: join(dir, "nothing.json"), follow: true }];
    const before = signFiles(missing, later());
    expect(before.settled).toBe(true);
    writeFileSync(join(dir, "nothing.json"), "{}");
    expect(signFiles(missing, later()).sigs).not.toEqual(before.sigs);
  });

  test("a file changed a moment ago is not settled: its signature is not trusted yet", () => {
    expect(signFiles(files).settled).toBe(false);
    expect(signFiles(files, later()).settled).toBe(true);
  });
});

describe("LaunchRecord", () => {
  test("a settled check that changed nothing is recorded, and still holds after a reload", () => {
    const record = LaunchRecord.load(dir);
    const before = signFiles(files, later());
    record.settle("merge", before, signFiles(files, later()), ["found"]);
    record.save();
    const reloaded = LaunchRecord.load(dir);
    expect(reloaded.unchanged("merge", signFiles(files, later()))?.data).toEqual(["found"]);
  });

  test("a check whose files were just written is not recorded", () => {
    const record = LaunchRecord.load(dir);
    record.settle("merge", signFiles(files), signFiles(files));
    record.save();
    expect(LaunchRecord.load(dir).unchanged("merge", signFiles(files, later()))).toBeUndefined();
  });

  test("a file that changed while the check ran is not recorded", () => {
    const record = LaunchRecord.load(dir);
    const before = signFiles(files, later());
    rewriteKeepingTimes(file, '{"theme":"d4rk"}', "in-place");
    record.settle("merge", before, signFiles(files, later()));
    record.save();
    expect(LaunchRecord.load(dir).unchanged("merge", signFiles(files, later()))).toBeUndefined();
    expect(LaunchRecord.load(dir).unchanged("merge", before)).toBeUndefined();
  });

  test("a change after the record was made makes the check run again", () => {
    const record = LaunchRecord.load(dir);
    const before = signFiles(files, later());
    record.settle("merge", before, signFiles(files, later()));
    record.save();
    rewriteKeepingTimes(file, '{"theme":"d4rk"}', "in-place");
    expect(LaunchRecord.load(dir).unchanged("merge", signFiles(files, later()))).toBeUndefined();
  });

  test("saving rewrites the record in place: the account dir's listing stays as it was", () => {
    const record = LaunchRecord.load(dir);
    record.settle("a", signFiles(files, later()), signFiles(files, later()));
    record.save();
    const inode = statSync(join(dir, LAUNCH_RECORD_FILE)).ino;
    const dirBefore = statSync(dir, { bigint: true });
    const again = LaunchRecord.load(dir);
    again.settle("b", signFiles(files, later()), signFiles(files, later()));
    again.save();
    const dirAfter = statSync(dir, { bigint: true });
    expect(statSync(join(dir, LAUNCH_RECORD_FILE)).ino).toBe(inode);
    expect(dirAfter.mtimeNs).toBe(dirBefore.mtimeNs);
    expect(dirAfter.ctimeNs).toBe(dirBefore.ctimeNs);
    expect(statSync(join(dir, LAUNCH_RECORD_FILE)).mode & 0o777).toBe(0o600);
  });

  test("a broken or truncated record means every check runs", () => {
    const record = LaunchRecord.load(dir);
    record.settle("merge", signFiles(files, later()), signFiles(files, later()));
    record.save();
    const text = readFileSync(join(dir, LAUNCH_RECORD_FILE), "utf8");
    for (const broken of [text.slice(0, -1), `${text}x`, "", "[]", '{"version":2,"parts":{}}']) {
      writeFileSync(join(dir, LAUNCH_RECORD_FILE), broken);
      expect(LaunchRecord.load(dir).unchanged("merge", signFiles(files, later()))).toBeUndefined();
    }
  });

  test("a record planted as a FIFO or a directory hangs nothing and is left as it is", () => {
    const path = join(dir, LAUNCH_RECORD_FILE);
    for (const plant of [() => Bun.spawnSync(["mkfifo", path]), () => mkdirSync(path)]) {
      rmSync(path, { recursive: true, force: true });
      plant();
      const kind = lstatSync(path).mode & 0o170000;
      const record = LaunchRecord.load(dir);
      expect(record.unchanged("merge", signFiles(files, later()))).toBeUndefined();
      record.settle("merge", signFiles(files, later()), signFiles(files, later()));
      record.save();
      expect(lstatSync(path).mode & 0o170000).toBe(kind);
    }
  });

  test("a record planted as a symlink is neither read nor written through", () => {
    const elsewhere = join(tempDir("elsewhere-"), "target.json");
    const honest = LaunchRecord.load(dir);
    honest.settle("merge", signFiles(files, later()), signFiles(files, later()));
    honest.save();
    renameSync(join(dir, LAUNCH_RECORD_FILE), elsewhere);
    const planted = readFileSync(elsewhere, "utf8");
    symlinkSync(elsewhere, join(dir, LAUNCH_RECORD_FILE));
    const record = LaunchRecord.load(dir);
    expect(record.unchanged("merge", signFiles(files, later()))).toBeUndefined();
    record.settle("other", signFiles(files, later()), signFiles(files, later()));
    record.save();
    expect(readFileSync(elsewhere, "utf8")).toBe(planted);
    expect(lstatSync(join(dir, LAUNCH_RECORD_FILE)).isSymbolicLink()).toBe(true);
    expect(existsSync(elsewhere)).toBe(true);
  });
});
