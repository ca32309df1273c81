// `ccp shim install|uninstall`: a `claude` link to the cc-pool binary in a directory ahead of the
// real claude on PATH, so every program that starts `claude` (IDE extensions, agent tools, scripts
// without a shell rc) gets a pooled session. Started under that name, cc-pool is `ccp run`.
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { isCcPool, isExecutableFile } from "./claude-bin.ts";
import { realpathOrSelf } from "./self-path.ts";

export const SHIM_NAME = "claude";

export function defaultShimDir(env: Env): string {
  return join(env.home, ".local/bin");
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Every `claude` on PATH in order, each marked as cc-pool or the real one. */
export interface ClaudeOnPath {
  path: string;
  dir: string;
  ccPool: boolean;
}

export function claudesOnPath(pathEnv: string): ClaudeOnPath[] {
  const out: ClaudeOnPath[] = [];
  const seen = new Set<string>();
  for (const dir of pathEnv.split(":")) {
    if (!dir || !isAbsolute(dir)) continue;
    const real = realpathOrSelf(dir);
    if (seen.has(real)) continue;
    seen.add(real);
    const candidate = join(dir, SHIM_NAME);
    if (isExecutableFile(candidate)) out.push({ path: candidate, dir, ccPool: isCcPool(candidate) });
  }
  return out;
}

/** Where `dir` stands on PATH relative to the real claude. */
export type PathVerdict =
  | { kind: "ahead"; real: string | null }
  | { kind: "behind"; real: string }
  | { kind: "not-on-path" };

export function pathVerdict(pathEnv: string, dir: string): PathVerdict {
  const dirs = pathEnv
    .split(":")
    .filter((d) => d && isAbsolute(d))
    .map(realpathOrSelf);
  const at = dirs.indexOf(realpathOrSelf(dir));
  const real = claudesOnPath(pathEnv).find((c) => !c.ccPool) ?? null;
  if (at < 0) return { kind: "not-on-path" };
  if (real === null) return { kind: "ahead", real: null };
  const realAt = dirs.indexOf(realpathOrSelf(real.dir));
  return realAt >= 0 && realAt < at
    ? { kind: "behind", real: real.path }
    : { kind: "ahead", real: real.path };
}

export interface ShimInstall {
  link: string;
  target: string;
  changed: boolean;
  verdict: PathVerdict;
}

/**
 * Links `<dir>/claude` to `binary` (the installed cc-pool). An existing `claude` there that is not
 * cc-pool (for example the real one) is never replaced.
 */
export function installShim(env: Env, binary: string, dirArg?: string): ShimInstall {
  const dir = resolve(dirArg ?? defaultShimDir(env));
  const link = join(dir, SHIM_NAME);
  const verdict = (): PathVerdict => pathVerdict(env.path, dir);
  if (isLink(link) || isExecutableFile(link)) {
    if (isCcPool(link)) {
      if (isLink(link) && readlinkSync(link) !== binary) {
        rmSync(link);
        symlinkSync(binary, link);
        return { link, target: binary, changed: true, verdict: verdict() };
      }
      return { link, target: binary, changed: false, verdict: verdict() };
    }
    throw new CcpError("conflict", `${link} already exists and is not cc-pool, so it was left alone.`, {
      hint: "Pick another directory with `ccp shim install --dir <dir>` (one that comes first on PATH).",
    });
  }
  try {
    lstatSync(link);
    throw new CcpError("conflict", `${link} already exists and is not cc-pool, so it was left alone.`, {
      hint: "Remove it or pick another directory with `--dir`.",
    });
  } catch (error) {
    if (error instanceof CcpError) throw error;
  }
  mkdirSync(dir, { recursive: true });
  symlinkSync(binary, link);
  return { link, target: binary, changed: true, verdict: verdict() };
}

export type ShimUninstall = { kind: "removed"; link: string } | { kind: "absent"; link: string };

/** Removes `<dir>/claude` when it is cc-pool's link; anything else there is left alone. */
export function uninstallShim(env: Env, dirArg?: string): ShimUninstall {
  const dir = resolve(dirArg ?? defaultShimDir(env));
  const link = join(dir, SHIM_NAME);
  if (!isLink(link)) {
    try {
      lstatSync(link);
    } catch {
      return { kind: "absent", link };
    }
    throw new CcpError("conflict", `${link} is not a cc-pool link, so it was left alone.`, {
      hint: "Remove it yourself if you no longer want it.",
    });
  }
  if (!isCcPool(link) && realpathOrSelf(link) !== link) {
    // A dangling link may still be ours (the binary moved); a link to anything else is not.
    const target = readlinkSync(link);
    const name = target.split("/").pop();
    if (name !== "cc-pool" && name !== "ccp")
      throw new CcpError("conflict", `${link} points at ${target}, not at cc-pool, so it was left alone.`, {
        hint: "Remove it yourself if you no longer want it.",
      });
  }
  rmSync(link);
  return { kind: "removed", link };
}

/** The PATH line to suggest for `dir`. */
export function pathAdvice(dir: string): string {
  return `export PATH="${dir}:$PATH"`;
}

/** For `ccp doctor`: which `claude` a program that runs `claude` gets. */
export function whichClaudeWins(pathEnv: string): { winner: ClaudeOnPath | null; real: ClaudeOnPath | null } {
  const all = claudesOnPath(pathEnv);
  return { winner: all[0] ?? null, real: all.find((c) => !c.ccPool) ?? null };
}

export function shimDirOf(link: string): string {
  return dirname(link);
}
