// Human-facing messages: the same lines whether the lean writer (hot path) or consola (every other
// command) prints them; --verbose/DEBUG add debug lines; colour only when allowed; the daemon's log
// has levels, timestamps and redaction, with debug lines only when asked for.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openDaemonLog } from "../../src/daemon/log.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { makePool } from "../helpers/pool.ts";

const ESC = "\u001b[";

describe("command messages", () => {
  test("--verbose and DEBUG=1 add debug lines to a command off the hot path; without them there are none", async () => {
    const pool = await makePool(undefined, [{ name: "one" }]);
    const quiet = await runCli(["list"], { env: pool.vars });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
    const verbose = await runCli(["list", "--verbose"], { env: pool.vars });
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/^· cc-pool \S+ \(\S+\): ccp list, CCP_HOME /m);
    expect(verbose.stdout).toBe(quiet.stdout);
    const debug = await runCli(["list"], { env: { ...pool.vars, DEBUG: "1" } });
    expect(debug.stderr).toContain("· cc-pool");
  });

  test("errors look the same from consola and from the lean writer: ✖ message, then the hint", async () => {
    const pool = await makePool(undefined, [{ name: "one" }]);
    // `remove` logs through consola, `select` through the lean writer.
    const viaConsola = await runCli(["remove", "nobody"], { env: pool.vars });
    const viaLean = await runCli(["select", "--account", "nobody"], { env: pool.vars });
    for (const r of [viaConsola, viaLean]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^✖ .*nobody.*\n {2}\S.*\n$/);
    }
  });

  test("colour: on with FORCE_COLOR, never with NO_COLOR, never when stderr is not a terminal", async () => {
    const pool = await makePool(undefined, [{ name: "one" }]);
    const forced = await runCli(["remove", "nobody"], {
      env: { ...pool.vars, NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(forced.stderr).toContain(`${ESC}31m`);
    const noColor = await runCli(["remove", "nobody"], {
      env: { ...pool.vars, NO_COLOR: "1", FORCE_COLOR: "1" },
    });
    expect(noColor.stderr).not.toContain(ESC);
    const piped = await runCli(["remove", "nobody"], {
      env: { ...pool.vars, NO_COLOR: undefined, FORCE_COLOR: undefined },
    });
    expect(piped.stderr).not.toContain(ESC);
  });
});

describe("daemon log levels", () => {
  test("debug lines only when asked for, timestamped, levelled and redacted like the rest", () => {
    const dir = tempDir("log-");
    const plain = openDaemonLog(join(dir, "a.log"));
    plain.debug("hidden detail");
    plain.info("shown");
    expect(readFileSync(join(dir, "a.log"), "utf8")).not.toContain("hidden detail");
    const chatty = openDaemonLog(join(dir, "b.log"), { debug: true });
    chatty.debug("detail with sk-ant-ort01-abcdefghijklmnopqrstu inside");
    chatty.warn("careful");
    const lines = readFileSync(join(dir, "b.log"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z debug \[\d+\] detail with \[redacted\] inside$/,
    );
    expect(lines[1]).toMatch(/ warn {2}\[\d+\] careful$/);
    expect(lines.join("\n")).not.toContain("sk-ant-ort01");
  });

  test("repeated identical lines are all written (consola's folding is off)", () => {
    const path = join(tempDir("log-"), "c.log");
    const log = openDaemonLog(path);
    for (let i = 0; i < 12; i++) log.warn("same thing");
    expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(12);
  });
});
