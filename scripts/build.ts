// Compiles src/cli.ts into one self-contained binary per platform: dist/<os>-<arch>/cc-pool, with a
// `ccp` symlink beside it. Usage: bun scripts/build.ts [--host | target…]
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { stripSignature, verifySignature } from "./macho.ts";

export const TARGETS = ["darwin-arm64", "darwin-x64", "linux-x64", "linux-arm64"] as const;
export type Target = (typeof TARGETS)[number];

const root = resolve(import.meta.dir, "..");

/** The flags of every compiled build (bench/ builds its baselines with the same ones). */
export const COMPILE_FLAGS = [
  "--compile",
  // A compiled Bun binary would otherwise read .env and bunfig.toml (with its preload scripts)
  // from whatever directory it runs in: running ccp inside a repository must not run its code.
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-tsconfig",
  "--no-compile-autoload-package-json",
  "--minify",
  "--bytecode",
  "--format=esm",
  // Lazily imported modules become chunks that load on their import(), not at start-up
  // (`--version` ~10 ms instead of ~30 ms on the same loaded machine).
  "--splitting",
  // JavaScriptCore compiles a function once it has run a few dozen times; in a command that lives
  // for 10 ms that compiling is pure cost (`ccp select` over 100 accounts spent a fifth of its
  // instructions on it). Start with the tier-up thresholds scaled up; the long-lived processes go
  // back to the normal policy (src/app/jit.ts).
  "--compile-jit-policy=100",
];

function gitCommit(): string {
  const out = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root, stderr: "ignore" });
  return out.exitCode === 0 ? out.stdout.toString().trim() : "unknown";
}

export function hostTarget(): Target {
  const os = process.platform === "darwin" ? "darwin" : "linux";
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  return `${os}-${arch}` as Target;
}

export async function buildTarget(target: Target, outRoot = join(root, "dist")): Promise<string> {
  const dir = join(outRoot, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, "cc-pool");
  const cmd = [
    process.execPath,
    "build",
    ...COMPILE_FLAGS,
    `--target=bun-${target}`,
    `--define=CCP_BUILD_VERSION=${JSON.stringify(pkg.version)}`,
    `--define=CCP_BUILD_COMMIT=${JSON.stringify(gitCommit())}`,
    join(root, "src/cli.ts"),
    `--outfile=${outfile}`,
  ];
  const proc = Bun.spawn(cmd, { cwd: root, stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0 || !existsSync(outfile)) throw new Error(`build for ${target} failed:\n${stderr}`);
  await repairDarwinSignature(target, outfile);
  symlinkSync("cc-pool", join(dir, "ccp"));
  return outfile;
}

/**
 * Bun 1.4.5's cross-compiled darwin-x64 output carries a code signature that does not verify
 * (wrong page hashes, a code limit short of the file), and macOS kills a binary whose signature
 * fails. An x86_64 binary needs no signature at all, so a broken one is stripped; a valid one (as
 * on darwin-arm64, where one is required) is left alone. `scripts/check-macho.ts` verifies the
 * result in CI.
 */
export async function repairDarwinSignature(target: Target, outfile: string): Promise<void> {
  if (target !== "darwin-x64") return;
  const file = new Uint8Array(await Bun.file(outfile).arrayBuffer());
  const signature = verifySignature(file);
  if (!signature.present || signature.problems.length === 0) return;
  await Bun.write(outfile, stripSignature(file));
  await chmod(outfile, 0o755);
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const targets: Target[] = argv.includes("--host")
    ? [hostTarget()]
    : argv.length > 0
      ? argv.map((t) => {
          if (!(TARGETS as readonly string[]).includes(t))
            throw new Error(`unknown target ${t}; one of ${TARGETS.join(", ")}`);
          return t as Target;
        })
      : [...TARGETS];
  for (const target of targets) {
    const started = performance.now();
    const out = await buildTarget(target);
    console.error(`built ${out} in ${Math.round(performance.now() - started)} ms`);
  }
  // dist/host always points at this machine's build, so docs can name one path.
  if (targets.includes(hostTarget())) {
    const link = join(root, "dist", "host");
    rmSync(link, { force: true });
    symlinkSync(hostTarget(), link);
  }
}
