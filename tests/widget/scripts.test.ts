import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WidgetFormat } from "../../src/widget/render.ts";
import { WIDGET_MARKER, shellQuote, widgetScript } from "../../src/widget/scripts.ts";
import { CLI_ENTRY, runCli, tempDir } from "../helpers/cli.ts";
import { fakeCcp, poolWithUsage } from "./fixture.ts";

function writeScript(format: WidgetFormat, ccpCommand: string[], ccpHome: string): string {
  const path = join(tempDir("plugin-"), `cc-pool-${format}.sh`);
  writeFileSync(path, widgetScript(format, { ccpCommand, ccpHome }));
  chmodSync(path, 0o755);
  return path;
}

interface Run {
  out: string[];
  log: string[];
  code: number;
  stderr: string;
}

/** Runs the script the way a bar does (executed directly), with the fake ccp's behaviour set. */
async function runWithFake(format: WidgetFormat, fake: { out?: string; code?: number }): Promise<Run> {
  const ccp = fakeCcp();
  const log = join(tempDir("log-"), "args");
  const script = writeScript(format, [ccp], "/pool/home");
  const env: Record<string, string | undefined> = {
    FAKE_LOG: log,
    FAKE_OUT: fake.out,
    FAKE_CODE: fake.code === undefined ? undefined : String(fake.code),
    CCP_HOME: "/somewhere/else",
  };
  const r = await runCli([], { bin: script, env });
  let logged: string[] = [];
  try {
    logged = readFileSync(log, "utf8").trimEnd().split("\n");
  } catch {}
  return { out: r.stdout.split("\n").slice(0, -1), log: logged, code: r.code, stderr: r.stderr };
}

const SWIFTBAR_OK = "ccp 78%\n---\n▸ work  5h 22%\n---\nRefresh | refresh=true";
const WAYBAR_OK = '{"text":"ccp 78%","class":"ok"}';

describe("the menu-bar plugin (swiftbar/xbar)", () => {
  test("calls `ccp widget --render swiftbar` with the pinned CCP_HOME and passes its output through", async () => {
    const r = await runWithFake("swiftbar", { out: SWIFTBAR_OK });
    expect(r.code).toBe(0);
    expect(r.log).toEqual(["widget --render swiftbar", "CCP_HOME=/pool/home"]);
    expect(r.out).toEqual(SWIFTBAR_OK.split("\n"));
  });

  test("shows `cc-pool ?` when ccp fails, prints nothing, or prints something else", async () => {
    for (const fake of [
      { out: SWIFTBAR_OK, code: 1 },
      { code: 0 },
      { out: "" },
      { out: "Unexpected error: boom" },
      { out: "ccp 78%" },
      { out: '{"text":"ccp 78%"}' },
    ]) {
      const r = await runWithFake("swiftbar", fake);
      expect({ fake, code: r.code, first: r.out[0], second: r.out[1] }).toEqual({
        fake,
        code: 0,
        first: "cc-pool ?",
        second: "---",
      });
      expect(r.out).toContain("Refresh | refresh=true");
    }
  });

  test("shows `cc-pool ?` when the ccp it was written for is gone", async () => {
    const script = writeScript("swiftbar", [join(tempDir("gone-"), "ccp")], "/pool/home");
    const r = await runCli([], { bin: script });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("cc-pool ?");
  });
});

describe("the waybar script", () => {
  test("passes one JSON line through", async () => {
    const r = await runWithFake("waybar", { out: WAYBAR_OK });
    expect(r.log[0]).toBe("widget --render waybar");
    expect(r.out).toEqual([WAYBAR_OK]);
  });

  test("falls back to a valid JSON `cc-pool ?` on failure or invalid output", async () => {
    for (const fake of [
      { out: WAYBAR_OK, code: 2 },
      { out: "not json" },
      { out: `${WAYBAR_OK}\n${WAYBAR_OK}` },
      { out: "" },
    ]) {
      const r = await runWithFake("waybar", fake);
      expect(r.out.length).toBe(1);
      expect({ fake, parsed: JSON.parse(r.out[0] as string) }).toEqual({
        fake,
        parsed: {
          text: "cc-pool ?",
          alt: "error",
          class: "error",
          tooltip: "ccp did not answer: run ccp doctor in a terminal",
        },
      });
    }
  });
});

describe("the polybar script", () => {
  test("passes one line through, or shows `cc-pool ?`", async () => {
    expect((await runWithFake("polybar", { out: "ccp 78% · work" })).out).toEqual(["ccp 78% · work"]);
    expect((await runWithFake("polybar", { out: "ccp 78% · work", code: 1 })).out).toEqual(["cc-pool ?"]);
    expect((await runWithFake("polybar", { out: "garbage" })).out).toEqual(["cc-pool ?"]);
    expect((await runWithFake("polybar", { out: "ccp 1%\nccp 2%" })).out).toEqual(["cc-pool ?"]);
  });
});

describe("with the real ccp", () => {
  test("every script shows the pool, even when started without CCP_HOME in its environment", async () => {
    const pool = await poolWithUsage([
      { name: "personal", util5Pct: 61, util7Pct: 70 },
      { name: "work", util5Pct: 22, util7Pct: 46 },
    ]);
    const ccp = [process.execPath, CLI_ENTRY];
    const env = { HOME: pool.home, CCP_HOME: undefined };
    const swiftbar = await runCli([], { bin: writeScript("swiftbar", ccp, pool.env.ccpHome), env });
    expect(swiftbar.stdout.split("\n").slice(0, 4)).toEqual([
      "ccp 78%",
      "---",
      "▸ work  5h 22% · 7d 46% · score 68.1 | font=Menlo",
      "  personal  5h 61% · 7d 70% · score 34.8 | font=Menlo",
    ]);
    const waybar = await runCli([], { bin: writeScript("waybar", ccp, pool.env.ccpHome), env });
    expect(JSON.parse(waybar.stdout)).toMatchObject({ text: "ccp 78%", class: "ok", percentage: 78 });
    const polybar = await runCli([], { bin: writeScript("polybar", ccp, pool.env.ccpHome), env });
    expect(polybar.stdout).toBe("ccp 78% · work\n");
  });
});

describe("script text", () => {
  test("carries the marker and quotes paths with spaces and quotes", () => {
    const text = widgetScript("polybar", { ccpCommand: ["/Apps/My Tools/ccp"], ccpHome: "/h/it's" });
    expect(text.split("\n").slice(0, 2)).toEqual(["#!/bin/sh", WIDGET_MARKER]);
    expect(text).toContain(`if out=$('/Apps/My Tools/ccp' widget --render polybar 2>/dev/null); then`);
    expect(text).toContain(`CCP_HOME='/h/it'\\''s'`);
    expect(shellQuote("/plain/path-1.2")).toBe("/plain/path-1.2");
    expect(shellQuote("")).toBe("''");
  });
});
