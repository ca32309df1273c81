// Moves a real shared entry an account grew (its own `projects/`, `sessions/`, `history.jsonl`, …)
// into `~/.claude`, so history is one again. Nothing is ever overwritten or deleted unless an
// identical copy already sits in the base: a name that exists on both sides with different
// content stays in the account and is reported.
import { join } from "../fs/posix-path.ts";
import { nodeFs } from "../fs/probe.ts";

export interface MergeIntoBaseResult {
  name: string;
  /** Files, links and whole sub-dirs moved into the base. */
  moved: number;
  /** Account files dropped because the base holds the same bytes under the same name. */
  duplicates: number;
  /** Paths relative to the entry that exist on both sides with different content: left in place. */
  collisions: string[];
  /** The account's entry is now a link into the base. */
  linked: boolean;
  /** Why the merge stopped (e.g. the two dirs are on different file systems). */
  error?: string;
}

function code(cause: unknown): string | undefined {
  return (cause as NodeJS.ErrnoException | undefined)?.code;
}

function sameBytes(a: string, b: string): boolean {
  try {
    // Only regular files are compared: opening a FIFO would block the launch.
    if (!nodeFs().lstatSync(a).isFile() || !nodeFs().lstatSync(b).isFile()) return false;
    return nodeFs().readFileSync(a).equals(nodeFs().readFileSync(b));
  } catch {
    return false;
  }
}

/**
 * Moves one file without replacing anything: a hard link fails with EEXIST when the name is
 * taken (a plain rename would overwrite), then the account's name is dropped.
 */
function moveFile(src: string, dst: string): "moved" | "exists" {
  try {
    nodeFs().linkSync(src, dst);
  } catch (cause) {
    if (code(cause) === "EEXIST") return "exists";
    throw cause;
  }
  nodeFs().unlinkSync(src);
  return "moved";
}

function mergeTree(src: string, dst: string, rel: string, out: MergeIntoBaseResult): boolean {
  for (const entry of nodeFs().readdirSync(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    const to = join(dst, entry.name);
    const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
    const there = nodeFs().lstatSync(to, { throwIfNoEntry: false });
    if (entry.isDirectory()) {
      if (there === undefined) {
        try {
          // rename(2) of a dir replaces at most an empty dir that appeared meanwhile: nothing lost.
          nodeFs().renameSync(from, to);
          out.moved++;
          continue;
        } catch (cause) {
          if (code(cause) !== "ENOTEMPTY" && code(cause) !== "EEXIST") throw cause;
        }
      }
      const now = nodeFs().lstatSync(to, { throwIfNoEntry: false });
      if (now?.isDirectory()) mergeTree(from, to, relPath, out);
      else out.collisions.push(relPath);
      continue;
    }
    if (entry.isFile()) {
      if (there === undefined && moveFile(from, to) === "moved") {
        out.moved++;
      } else if (nodeFs().lstatSync(to, { throwIfNoEntry: false })?.isFile() && sameBytes(from, to)) {
        nodeFs().unlinkSync(from);
        out.duplicates++;
      } else {
        out.collisions.push(relPath);
      }
      continue;
    }
    if (entry.isSymbolicLink() && there === undefined) {
      // Recreated rather than renamed, so a name taken meanwhile fails instead of being replaced.
      try {
        nodeFs().symlinkSync(nodeFs().readlinkSync(from), to);
        nodeFs().unlinkSync(from);
        out.moved++;
      } catch (cause) {
        if (code(cause) !== "EEXIST") throw cause;
        out.collisions.push(relPath);
      }
      continue;
    }
    out.collisions.push(relPath);
  }
  try {
    nodeFs().rmdirSync(src);
    return true;
  } catch {
    // Not empty: a collision stayed, or a live session wrote a new file meanwhile (next pass).
    return false;
  }
}

/**
 * Merges the account's real `accountPath` into `basePath` and replaces it with a link. A file is
 * moved only when the base has no file of that name (`history.jsonl` on a fresh base).
 */
export function mergeEntryIntoBase(accountPath: string, basePath: string, name: string): MergeIntoBaseResult {
  const out: MergeIntoBaseResult = { name, moved: 0, duplicates: 0, collisions: [], linked: false };
  try {
    const st = nodeFs().lstatSync(accountPath);
    let emptied: boolean;
    if (st.isDirectory()) {
      const base = nodeFs().lstatSync(basePath, { throwIfNoEntry: false });
      if (base === undefined) {
        try {
          nodeFs().renameSync(accountPath, basePath);
          out.moved++;
          emptied = true;
        } catch (cause) {
          if (code(cause) !== "ENOTEMPTY" && code(cause) !== "EEXIST") throw cause;
          emptied = mergeTree(accountPath, basePath, "", out);
        }
      } else if (base.isDirectory()) {
        emptied = mergeTree(accountPath, basePath, "", out);
      } else {
        out.collisions.push(".");
        return out;
      }
    } else if (st.isFile()) {
      const moved = moveFile(accountPath, basePath);
      if (moved === "exists") {
        if (sameBytes(accountPath, basePath)) {
          nodeFs().unlinkSync(accountPath);
          out.duplicates++;
          emptied = true;
        } else {
          out.collisions.push(".");
          return out;
        }
      } else {
        out.moved++;
        emptied = true;
      }
    } else {
      return out;
    }
    if (emptied) {
      try {
        nodeFs().symlinkSync(basePath, accountPath);
        out.linked = true;
      } catch (cause) {
        // A session recreated the name in the gap; the next sync merges it again.
        if (code(cause) !== "EEXIST") throw cause;
      }
    }
  } catch (cause) {
    out.error =
      code(cause) === "EXDEV"
        ? "the account dir and ~/.claude are on different file systems"
        : (cause as Error).message;
  }
  return out;
}
