import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { TARGETS, hostTarget } from "../../scripts/build.ts";
import { checkDarwinBinary } from "../../scripts/check-macho.ts";
import {
  FORMULA_PATH,
  FORMULA_TEMPLATE_PATH,
  type ReleaseResult,
  formulaVars,
  parseRendered,
  release,
  releaseBaseUrl,
  renderTemplate,
  tarballName,
} from "../../scripts/release.ts";
import { COMPLETION_FILES, SHELLS, completionScript } from "../../src/completion/index.ts";
import { REPO_ROOT, runCli, tempDir } from "../helpers/cli.ts";

const template = readFileSync(FORMULA_TEMPLATE_PATH, "utf8");
const committed = readFileSync(FORMULA_PATH, "utf8");
const ruby = Bun.which("ruby");
const TAR = Bun.which("tar") ?? "tar";

/** `ruby -c`; skipped (and said so) only where ruby is not installed. */
async function rubySyntaxOk(path: string): Promise<void> {
  if (!ruby) {
    console.log(`skipped: ruby -c ${path} (ruby is not installed; scripts/test-deps.sh installs it)`);
    return;
  }
  const r = await runCli(["-c", path], { bin: ruby });
  expect({ path, code: r.code, out: r.stdout.trim() }).toEqual({ path, code: 0, out: "Syntax OK" });
}

function sha256(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

describe("the formula template", () => {
  const sample = formulaVars(
    "9.8.7",
    TARGETS.map((target) => ({
      target,
      url: `https://dl.test/${target}.tar.gz`,
      sha256: target.padEnd(64, "0"),
    })),
  );

  test("renders every placeholder and reads the values back", () => {
    const rendered = renderTemplate(template, sample);
    expect(rendered).not.toContain("{{");
    expect(rendered).toContain('version "9.8.7"');
    expect(parseRendered(template, rendered)).toEqual(sample);
  });

  test("a missing value or a value without a placeholder is an error", () => {
    const { url_linux_x64: _, ...missing } = sample;
    expect(() => renderTemplate(template, missing)).toThrow("{{url_linux_x64}}");
    expect(() => renderTemplate(template, { ...sample, extra: "x" })).toThrow("extra");
  });

  test("a file that differs from the template anywhere else is not a rendering of it", () => {
    const rendered = renderTemplate(template, sample);
    expect(
      parseRendered(template, rendered.replace("keep_alive successful_exit: false", "keep_alive true")),
    ).toBeUndefined();
    expect(parseRendered(template, `${rendered}\n# edited by hand\n`)).toBeUndefined();
  });

  test("puts each platform's URL and checksum in its own on_macos/on_linux, on_arm/on_intel block", () => {
    const rendered = renderTemplate(template, sample);
    const block = (os: string, cpu: string) => {
      const osBody = rendered.split(`  on_${os} do\n`)[1]?.split("\n  end\n")[0] ?? "";
      return osBody.split(`    on_${cpu} do\n`)[1]?.split("\n    end")[0] ?? "";
    };
    expect(block("macos", "arm")).toContain("darwin-arm64.tar.gz");
    expect(block("macos", "arm")).toContain(`sha256 "${sample.sha256_darwin_arm64}"`);
    expect(block("macos", "intel")).toContain("darwin-x64.tar.gz");
    expect(block("linux", "arm")).toContain("linux-arm64.tar.gz");
    expect(block("linux", "intel")).toContain(`sha256 "${sample.sha256_linux_x64}"`);
  });

  test("installs the binary, the ccp link, completions, re-signs on macOS, and has a service and a test", () => {
    for (const line of [
      'bin.install "cc-pool"',
      'bin.install_symlink "cc-pool" => "ccp"',
      'system "codesign", "--force", "--sign", "-", bin/"cc-pool" if OS.mac?',
      'bash_completion.install "completions/ccp.bash" => "ccp"',
      'zsh_completion.install "completions/_ccp"',
      'fish_completion.install "completions/ccp.fish"',
      'run [opt_bin/"cc-pool", "daemon"]',
      "keep_alive successful_exit: false",
      'log_path var/"log/cc-pool.log"',
      'error_log_path var/"log/cc-pool.log"',
      'assert_match "cc-pool #{version}", shell_output("#{bin}/ccp --version")',
    ]) {
      expect(template).toContain(line);
    }
  });
});

describe("the committed Formula/cc-pool.rb", () => {
  test("is exactly the template rendered with the URLs and checksums it carries", () => {
    const vars = parseRendered(template, committed);
    if (!vars)
      throw new Error(
        "Formula/cc-pool.rb is not a rendering of Formula/cc-pool.rb.tmpl: run `bun run release`",
      );
    expect(renderTemplate(template, vars)).toBe(committed);
    expect(vars.version).toBe(pkg.version);
    for (const target of TARGETS) {
      expect(vars[`url_${target.replace("-", "_")}`]).toEndWith(`/${tarballName(pkg.version, target)}`);
      expect(vars[`sha256_${target.replace("-", "_")}`]).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test("is valid Ruby", async () => {
    await rubySyntaxOk(FORMULA_PATH);
  });
});

describe("release URLs", () => {
  test("GitHub by default; CCP_RELEASE_BASE_URL overrides (trailing slashes dropped)", () => {
    expect(releaseBaseUrl("1.2.3", undefined)).toBe(
      "https://github.com/cc-pool/cc-pool/releases/download/v1.2.3",
    );
    expect(releaseBaseUrl("1.2.3", "")).toBe("https://github.com/cc-pool/cc-pool/releases/download/v1.2.3");
    expect(releaseBaseUrl("1.2.3", "https://mirror.test/ccp/")).toBe("https://mirror.test/ccp");
    expect(tarballName("1.2.3", "darwin-arm64")).toBe("cc-pool-1.2.3-darwin-arm64.tar.gz");
  });
});

describe("bun run release (into a temp dir)", () => {
  let out: string;
  let result: ReleaseResult;
  const formulaPath = join(tempDir("formula-"), "cc-pool.rb");

  beforeAll(async () => {
    out = tempDir("release-");
    process.env.CCP_RELEASE_BASE_URL = "https://mirror.test/releases/";
    try {
      // Level 1 keeps the test quick; the release itself uses the default level.
      result = await release({ outDir: out, formulaPath, gzipLevel: 1, log: () => {} });
    } finally {
      delete process.env.CCP_RELEASE_BASE_URL;
    }
  }, 120_000);
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  test("produces the four tarballs and SHA256SUMS that match them", () => {
    const names = TARGETS.map((t) => tarballName(pkg.version, t));
    expect(readdirSync(out).sort()).toEqual([...names, "SHA256SUMS"].sort());
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
    expect(sums).toBe(names.map((n) => `${sha256(join(out, n))}  ${n}\n`).join(""));
  });

  test("renders a formula whose URLs and checksums are those of the tarballs built", async () => {
    const rendered = readFileSync(formulaPath, "utf8");
    const vars = parseRendered(template, rendered);
    if (!vars) throw new Error("rendered formula does not follow the template");
    for (const target of TARGETS) {
      const name = tarballName(pkg.version, target);
      const key = target.replace("-", "_");
      expect(vars[`sha256_${key}`]).toBe(sha256(join(out, name)));
      expect(vars[`url_${key}`]).toBe(`https://mirror.test/releases/${name}`);
    }
    expect(result.artifacts.map((a) => a.target)).toEqual([...TARGETS]);
    // The committed formula is left alone by a release into another place.
    expect(readFileSync(FORMULA_PATH, "utf8")).toBe(committed);
    await rubySyntaxOk(formulaPath);
  });

  test("every tarball holds the same files under one top-level folder", async () => {
    for (const target of TARGETS) {
      const top = `cc-pool-${pkg.version}-${target}`;
      const r = await runCli(["-tzf", join(out, tarballName(pkg.version, target))], { bin: TAR });
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual(
        [
          `${top}/`,
          `${top}/LICENSE`,
          `${top}/README.md`,
          `${top}/cc-pool`,
          `${top}/ccp`,
          `${top}/completions/`,
          `${top}/completions/_ccp`,
          `${top}/completions/ccp.bash`,
          `${top}/completions/ccp.fish`,
        ].sort(),
      );
    }
  });

  test("the host's tarball unpacks to a working ccp symlink and the generated completions", async () => {
    const dest = tempDir("unpack-");
    const tar = await runCli(["-xzf", join(out, tarballName(pkg.version, hostTarget())), "-C", dest], {
      bin: TAR,
    });
    expect(tar.code).toBe(0);
    const dir = join(dest, `cc-pool-${pkg.version}-${hostTarget()}`);
    expect(lstatSync(join(dir, "ccp")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "ccp"))).toBe("cc-pool");
    expect(lstatSync(join(dir, "cc-pool")).mode & 0o111).toBe(0o111);
    const version = await runCli(["--version"], { bin: "./ccp", cwd: dir });
    expect(version.code).toBe(0);
    expect(version.stdout).toStartWith(`cc-pool ${pkg.version} (`);
    for (const shell of SHELLS) {
      expect(readFileSync(join(dir, "completions", COMPLETION_FILES[shell]), "utf8")).toBe(
        await completionScript(shell),
      );
    }
    expect(readFileSync(join(dir, "LICENSE"), "utf8")).toContain("Copyright (c) 2026 cc-pool contributors");
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe(
      readFileSync(join(REPO_ROOT, "README.md"), "utf8"),
    );
    rmSync(dest, { recursive: true, force: true });
  });

  test("each darwin tarball's binary is a Mach-O of its arch whose signature macOS accepts", async () => {
    const dest = tempDir("unpack-darwin-");
    for (const [target, arch] of [
      ["darwin-arm64", "arm64"],
      ["darwin-x64", "x64"],
    ] as const) {
      const tar = await runCli(["-xzf", join(out, tarballName(pkg.version, target)), "-C", dest], {
        bin: TAR,
      });
      expect(tar.code).toBe(0);
      const binary = readFileSync(join(dest, `cc-pool-${pkg.version}-${target}`, "cc-pool"));
      const check = checkDarwinBinary(binary, arch);
      expect({ target, ...check }).toEqual({ target, ok: true, lines: expect.any(Array) });
      // arm64 must carry a verifying signature; x86_64 ships without one (Bun's does not verify).
      expect(check.lines.at(-1)).toStartWith(
        arch === "arm64" ? "code signature verifies" : "no code signature",
      );
    }
    rmSync(dest, { recursive: true, force: true });
  });
});

describe("LICENSE", () => {
  test("is MIT", () => {
    const text = readFileSync(join(REPO_ROOT, "LICENSE"), "utf8");
    expect(text).toStartWith("MIT License\n\nCopyright (c) 2026 cc-pool contributors\n");
    expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });
});
