import { describe, expect, test } from "bun:test";
import { runCli } from "../helpers/cli.ts";

describe("dispatch", () => {
  test("--version and -v print the version on stdout", async () => {
    for (const flag of ["--version", "-v"]) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^cc-pool \d+\.\d+\.\d+ \(.+\)\n$/);
      expect(r.stderr).toBe("");
    }
  });

  test("--help lists every visible command and hides the daemon", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const name of [
      "add",
      "run",
      "status",
      "select",
      "env",
      "list",
      "doctor",
      "remove",
      "rename",
      "init",
      "service",
      "widget",
      "help",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    }
    expect(r.stdout).not.toMatch(/^ {2}daemon /m);
  });

  test("`ccp help <cmd>` and `ccp <cmd> --help` print the same text", async () => {
    for (const name of ["select", "add", "status", "remove"]) {
      const a = await runCli(["help", name]);
      const b = await runCli([name, "--help"]);
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toContain(`ccp ${name}`);
    }
    const select = await runCli(["help", "select"]);
    for (const flag of ["--wait", "--account", "--no-daemon", "--fresh", "--json", "--explain"]) {
      expect(select.stdout).toContain(flag);
    }
  });

  test("help output has no colour codes when piped", async () => {
    const r = await runCli(["help", "select"]);
    expect(r.stdout).not.toContain("\u001b[");
  });

  test("unknown command exits 2 with a suggestion", async () => {
    const r = await runCli(["stauts"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('Unknown command "stauts"');
    expect(r.stderr).toContain("ccp status");
  });

  test("unknown command far from any name has no suggestion", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("Did you mean");
  });

  test("unknown flag exits 2 with a did-you-mean", async () => {
    const r = await runCli(["select", "--wiat"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Unknown option "--wiat"`);
    expect(r.stderr).toContain("--wait");
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  test("a flag missing its value and an extra positional are usage errors", async () => {
    const a = await runCli(["select", "--account"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("--account needs a value");
    const b = await runCli(["list", "extra"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('Unexpected argument "extra"');
    const c = await runCli(["help", "nosuch"]);
    expect(c.code).toBe(2);
  });

  test("a missing required positional is a usage error", async () => {
    const r = await runCli(["remove"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Missing argument <account>");
  });

  test("bad environment values are reported with the variable name", async () => {
    const r = await runCli(["list"], { env: { CCP_SECRET_STORE: "vault" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("CCP_SECRET_STORE");
  });

  test("errors print no stack unless --verbose or DEBUG=1", async () => {
    const env = { CCP_HOME: "/proc/forbidden/ccp" };
    const quiet = await runCli(["init"], { env });
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toContain("/proc/forbidden/ccp");
    expect(quiet.stderr).not.toMatch(/^\s+at /m);
    const loud = await runCli(["init", "--verbose"], { env });
    expect(loud.code).toBe(1);
    expect(loud.stderr).toMatch(/^\s+at /m);
    const debug = await runCli(["init"], { env: { ...env, DEBUG: "1" } });
    expect(debug.stderr).toMatch(/^\s+at /m);
  });
});
