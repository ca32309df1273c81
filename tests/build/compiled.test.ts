import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { baseEnv, runCli, tempDir } from "../helpers/cli.ts";
import { compiledCcp } from "../helpers/binary.ts";

afterAll(async () => {
  rmSync(dirname(dirname(await compiledCcp())), { recursive: true, force: true });
});

describe("compiled binary", () => {
  test("cc-pool and its ccp symlink behave identically", async () => {
    const ccp = await compiledCcp();
    expect(readlinkSync(ccp)).toBe("cc-pool");
    const viaLink = await runCli(["--version"], { bin: ccp });
    const direct = await runCli(["--version"], { bin: join(dirname(ccp), "cc-pool") });
    expect(viaLink.code).toBe(0);
    expect(viaLink.stdout).toBe(direct.stdout);
    expect(viaLink.stdout).toMatch(/^cc-pool \d+\.\d+\.\d+ \([0-9a-f]{7,}|unknown\)/);
    const help = await runCli(["help", "select"], { bin: ccp });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--wait");
    const bad = await runCli(["nosuch"], { bin: ccp });
    expect(bad.code).toBe(2);
  });

  test("a bunfig.toml preload and a .env in the working directory are ignored", async () => {
    const ccp = await compiledCcp();
    const cwd = tempDir("hostile-repo-");
    const marker = join(cwd, "PWNED");
    writeFileSync(
      join(cwd, "evil.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`,
    );
    writeFileSync(join(cwd, "bunfig.toml"), `preload = ["./evil.ts"]\n[run]\npreload = ["./evil.ts"]\n`);
    // If .env were loaded, this bad value would make every command fail with a usage error.
    writeFileSync(join(cwd, ".env"), "CCP_USAGE_URL=hostile\n");
    for (const args of [["--version"], ["help"], ["list", "--json"]]) {
      const r = await runCli(args, { bin: ccp, cwd });
      expect(r.stderr).not.toContain("CCP_USAGE_URL");
      expect(existsSync(marker)).toBe(false);
    }
    // Control: the same directory does affect plain `bun`, so the test would notice a regression.
    // (The preload sets CCP_USAGE_URL for every test, and a set variable beats .env: unset it here.)
    const control = Bun.spawnSync([process.execPath, "-e", "console.log(process.env.CCP_USAGE_URL)"], {
      cwd,
      env: baseEnv({ CCP_USAGE_URL: undefined }),
    });
    expect(control.stdout.toString()).toContain("hostile");
    expect(existsSync(marker)).toBe(true);
  });
});
