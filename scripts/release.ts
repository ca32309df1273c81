// `bun run release`: builds the four binaries, packs one tarball per platform (binary, ccp symlink,
// shell completions, LICENSE, README.md), writes SHA256SUMS and renders Formula/cc-pool.rb from
// its template with the tarballs' URLs and checksums.
// Usage: bun scripts/release.ts [--out dir] [--formula path] [--level 1-9]
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { join, resolve } from "node:path";
import { createGzip } from "node:zlib";
import pkg from "../package.json" with { type: "json" };
import { COMPLETION_FILES, SHELLS, renderCompletion } from "../src/completion/index.ts";
import { loadCompletionSpec } from "../src/completion/spec.ts";
import { TARGETS, type Target, buildTarget, hostTarget } from "./build.ts";

const root = resolve(import.meta.dir, "..");

export const FORMULA_TEMPLATE_PATH = join(root, "Formula/cc-pool.rb.tmpl");
export const FORMULA_PATH = join(root, "Formula/cc-pool.rb");
export const DEFAULT_OUT_DIR = join(root, "dist/release");

export interface ReleaseOptions {
  outDir?: string;
  /** Where the rendered formula goes (default: the repository's Formula/cc-pool.rb). */
  formulaPath?: string;
  /** Where the tarballs will be downloaded from; default from CCP_RELEASE_BASE_URL or GitHub. */
  baseUrl?: string;
  /** gzip level, 1–9 (default 6). */
  gzipLevel?: number;
  version?: string;
  log?: (line: string) => void;
}

export interface ReleaseArtifact {
  target: Target;
  /** The tarball's file name. */
  name: string;
  path: string;
  url: string;
  sha256: string;
}

export interface ReleaseResult {
  version: string;
  outDir: string;
  artifacts: ReleaseArtifact[];
  sumsPath: string;
  formulaPath: string;
}

export function tarballName(version: string, target: Target): string {
  return `cc-pool-${version}-${target}.tar.gz`;
}

export function releaseBaseUrl(version: string, override: string | undefined): string {
  const base = override?.trim()
    ? override.trim()
    : `https://github.com/cc-pool/cc-pool/releases/download/v${version}`;
  return base.replace(/\/+$/, "");
}

/** Template variable names: `url_darwin_arm64`, `sha256_linux_x64`, … */
function key(kind: "url" | "sha256", target: Target): string {
  return `${kind}_${target.replace("-", "_")}`;
}

export function formulaVars(
  version: string,
  artifacts: ReadonlyArray<Pick<ReleaseArtifact, "target" | "url" | "sha256">>,
): Record<string, string> {
  const vars: Record<string, string> = { version };
  for (const a of artifacts) {
    vars[key("url", a.target)] = a.url;
    vars[key("sha256", a.target)] = a.sha256;
  }
  return vars;
}

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

/** Fills every `{{name}}`; a placeholder without a value, or a value without a placeholder, is an error. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  const used = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`formula template: no value for {{${name}}}`);
    used.add(name);
    return value;
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`formula template has no placeholder for ${unused.join(", ")}`);
  return out;
}

/**
 * The values a rendered file was filled with, read back through the template; undefined when the
 * file is not a rendering of this template (any other line differs).
 */
export function parseRendered(template: string, rendered: string): Record<string, string> | undefined {
  const names: string[] = [];
  let pattern = "";
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    pattern += RegExp.escape(template.slice(last, m.index));
    pattern += '([^\\n"]*)';
    names.push(m[1] as string);
    last = m.index + m[0].length;
  }
  pattern += RegExp.escape(template.slice(last));
  const match = new RegExp(`^${pattern}$`).exec(rendered);
  if (!match) return undefined;
  const vars: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const value = match[i + 1] as string;
    if (vars[name] !== undefined && vars[name] !== value) return undefined;
    vars[name] = value;
  }
  return vars;
}

async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
  return hasher.digest("hex");
}

/** Owner and entry order must not depend on who ran the release or on the file system. */
function tarFlags(): string[] {
  const version = Bun.spawnSync(["tar", "--version"], { stdout: "pipe", stderr: "ignore" }).stdout.toString();
  return version.includes("GNU tar")
    ? ["--owner=0", "--group=0", "--numeric-owner", "--sort=name"]
    : ["--uid", "0", "--gid", "0"];
}

async function packTarball(
  stageRoot: string,
  dirName: string,
  outFile: string,
  level: number,
  flags: string[],
): Promise<void> {
  const tar = Bun.spawn(["tar", ...flags, "-cf", "-", "-C", stageRoot, dirName], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(tar.stderr).text();
  await pipeline(
    Readable.fromWeb(tar.stdout as import("node:stream/web").ReadableStream<Uint8Array>),
    createGzip({ level }),
    createWriteStream(outFile),
  );
  const code = await tar.exited;
  if (code !== 0) throw new Error(`tar failed for ${dirName}:\n${await stderr}`);
}

/** Checks the host's own binary answers --version before it ships. */
function smokeTest(dir: string, version: string): void {
  const out = Bun.spawnSync([join(dir, "ccp"), "--version"], { stdout: "pipe", stderr: "pipe", env: {} });
  const line = out.stdout.toString().trim();
  if (out.exitCode !== 0 || !line.startsWith(`cc-pool ${version} `)) {
    throw new Error(`the packed ccp --version printed "${line}" (exit ${out.exitCode}): ${out.stderr}`);
  }
}

async function stageTarget(
  target: Target,
  stageRoot: string,
  version: string,
  completions: Record<string, string>,
): Promise<string> {
  const dirName = `cc-pool-${version}-${target}`;
  const dir = join(stageRoot, dirName);
  rmSync(dir, { recursive: true, force: true });
  await buildTarget(target, stageRoot);
  renameSync(join(stageRoot, target), dir);
  if (!existsSync(join(dir, "ccp"))) symlinkSync("cc-pool", join(dir, "ccp"));
  mkdirSync(join(dir, "completions"));
  for (const [file, text] of Object.entries(completions))
    await writeFile(join(dir, "completions", file), text);
  await copyFile(join(root, "LICENSE"), join(dir, "LICENSE"));
  await copyFile(join(root, "README.md"), join(dir, "README.md"));
  if (target === hostTarget()) smokeTest(dir, version);
  return dirName;
}

export async function release(options: ReleaseOptions = {}): Promise<ReleaseResult> {
  const version = options.version ?? pkg.version;
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const formulaPath = resolve(options.formulaPath ?? FORMULA_PATH);
  const baseUrl = options.baseUrl ?? releaseBaseUrl(version, process.env.CCP_RELEASE_BASE_URL);
  const level = options.gzipLevel ?? 6;
  const log = options.log ?? ((line: string) => console.error(line));
  const template = await readFile(FORMULA_TEMPLATE_PATH, "utf8");

  // Only what a release writes is replaced: --out may name a folder that holds other things.
  const stageRoot = join(outDir, "stage");
  rmSync(stageRoot, { recursive: true, force: true });
  for (const target of TARGETS) rmSync(join(outDir, tarballName(version, target)), { force: true });
  mkdirSync(stageRoot, { recursive: true });
  const flags = tarFlags();

  // Generated in this process from the command definitions: a cross-compiled binary cannot run here.
  const spec = await loadCompletionSpec();
  const completions: Record<string, string> = {};
  for (const shell of SHELLS) completions[COMPLETION_FILES[shell]] = renderCompletion(shell, spec);

  // Builds one after another (each already uses every core), packing overlapping with the next build.
  const packs: Array<Promise<ReleaseArtifact>> = [];
  for (const target of TARGETS) {
    const dirName = await stageTarget(target, stageRoot, version, completions);
    const name = tarballName(version, target);
    const path = join(outDir, name);
    const packed = packTarball(stageRoot, dirName, path, level, flags).then(async () => {
      const sha256 = await sha256File(path);
      log(`packed ${name}  ${sha256}`);
      return { target, name, path, url: `${baseUrl}/${name}`, sha256 };
    });
    // Promise.all below reports a failure; this keeps it from surfacing early as unhandled.
    packed.catch(() => {});
    packs.push(packed);
  }
  const artifacts = await Promise.all(packs);
  rmSync(stageRoot, { recursive: true, force: true });

  const sumsPath = join(outDir, "SHA256SUMS");
  await writeFile(sumsPath, artifacts.map((a) => `${a.sha256}  ${a.name}\n`).join(""));
  mkdirSync(resolve(formulaPath, ".."), { recursive: true });
  await writeFile(formulaPath, renderTemplate(template, formulaVars(version, artifacts)));
  log(`wrote ${sumsPath} and ${formulaPath}`);
  return { version, outDir, artifacts, sumsPath, formulaPath };
}

function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i === -1) return undefined;
  const value = argv[i + 1];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  return value;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const level = flagValue(argv, "--level");
  const result = await release({
    outDir: flagValue(argv, "--out"),
    formulaPath: flagValue(argv, "--formula"),
    gzipLevel: level === undefined ? undefined : Number(level),
  });
  console.error(`cc-pool ${result.version}: ${result.artifacts.length} tarballs in ${result.outDir}`);
}
