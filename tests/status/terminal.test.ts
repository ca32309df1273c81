// The terminal layer against stand-in streams: what it writes, the modes it sets, and that it
// always puts the terminal back.
import { afterAll, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import type { StatusModel } from "../../src/app/status.ts";
import { type DashboardSource, TerminalScreen, runDashboard } from "../../src/ui/status/terminal.ts";
import { visibleWidth } from "../../src/ui/table.ts";
import { type Fixture, NOW_MS, SCENARIOS, TEST_CLOCK } from "./fixtures.ts";

const ENTER = "\u001b[?1049h";
const LEAVE = "\u001b[?1049l";
const SHOW_CURSOR = "\u001b[?25h";
const CLEAR_SCREEN = "\u001b[2J";

const crashListeners = process.listenerCount("uncaughtException");
const five = SCENARIOS["five accounts"]?.() as Fixture;
const model = five.model();
afterAll(() => five.close());

class FakeInput extends EventEmitter {
  raw: boolean[] = [];
  paused = true;
  setRawMode(mode: boolean): void {
    this.raw.push(mode);
  }
  resume(): void {
    this.paused = false;
  }
  pause(): void {
    this.paused = true;
  }
  press(text: string): void {
    this.emit("data", Buffer.from(text));
  }
}

class FakeOutput extends EventEmitter {
  columns = 100;
  rows = 30;
  writes: string[] = [];
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
  get all(): string {
    return this.writes.join("");
  }
  /** The last frame as plain lines. */
  get screen(): string[] {
    const last = [...this.writes].reverse().find((w) => w.includes("\u001b[H")) ?? "";
    return last
      .slice(last.indexOf("\u001b[H") + 3)
      .replace(/\u001b\[(?:K|J)/g, "")
      .split("\r\n");
  }
}

interface Recorder extends DashboardSource {
  pins: number[];
  samples: boolean[];
}

function source(overrides: Partial<DashboardSource> = {}): Recorder {
  const rec: Recorder = {
    pins: [],
    samples: [],
    load: () => model,
    pin(accountId) {
      rec.pins.push(accountId);
      return `Pinned ${model.cwd} to ${model.accounts.find((a) => a.id === accountId)?.name}`;
    },
    due: () => 0,
    async sample(force) {
      rec.samples.push(force);
      return "Sampled 5 accounts";
    },
    ...overrides,
  };
  return rec;
}

function start(src: DashboardSource, pollMs = 60_000) {
  const input = new FakeInput();
  const output = new FakeOutput();
  const done = runDashboard(src, {
    input,
    output,
    color: false,
    clock: TEST_CLOCK,
    pollMs,
    now: () => NOW_MS,
  });
  return { input, output, done };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
}

function listenerCounts(): number[] {
  return (["exit", "SIGINT", "SIGTERM", "SIGHUP"] as const).map((e) => process.listenerCount(e));
}

describe("runDashboard", () => {
  test("enters the alternate screen in raw mode, draws, and restores everything on q", async () => {
    const before = listenerCounts();
    const { input, output, done } = start(source());
    expect(output.writes[0]?.startsWith(ENTER)).toBe(true);
    expect(input.raw).toEqual([true]);
    expect(input.paused).toBe(false);
    expect(output.screen.join("\n")).toContain("> ▸ work@example.com");
    expect(listenerCounts()).not.toEqual(before);
    input.press("q");
    expect(await done).toBe(0);
    expect(output.all.endsWith(SHOW_CURSOR + LEAVE)).toBe(true);
    expect(input.raw).toEqual([true, false]);
    expect(input.paused).toBe(true);
    expect(input.listenerCount("data")).toBe(0);
    expect(output.listenerCount("resize")).toBe(0);
    expect(listenerCounts()).toEqual(before);
  });

  test("Ctrl-C quits with 130 and Esc with 0, both restoring the screen", async () => {
    for (const [key, code] of [
      ["\u0003", 130],
      ["\u001b", 0],
    ] as const) {
      const { input, output, done } = start(source());
      input.press(key);
      expect(await done).toBe(code);
      expect(output.all.endsWith(LEAVE)).toBe(true);
    }
  });

  test("moves the selection and pins the selected account", async () => {
    const src = source();
    const { input, output, done } = start(src);
    input.press("j\u001b[B");
    expect(output.screen.some((l) => l.startsWith(">   personal@example.com"))).toBe(true);
    expect(output.screen.join("\n")).toContain("── personal@example.com ─");
    input.press("p");
    expect(src.pins).toEqual([model.accounts[2]?.id as number]);
    expect(output.screen.at(-1)).toBe("Pinned /home/dev/project to personal@example.com");
    input.press("k");
    expect(output.screen.at(-1)).not.toContain("Pinned");
    input.press("q");
    await done;
  });

  test("r samples every account and reports when done", async () => {
    let release: () => void = () => {};
    const src = source({
      sample: async (force) => {
        src.samples.push(force);
        await new Promise<void>((r) => {
          release = r;
        });
        return "Sampled 5 accounts";
      },
    });
    const { input, output, done } = start(src);
    input.press("r");
    expect(src.samples).toEqual([true]);
    expect(output.screen[0]).toContain("sampling…");
    input.press("r");
    expect(src.samples).toEqual([true]);
    release();
    await until(() => output.screen.at(-1) === "Sampled 5 accounts");
    expect(output.screen[0]).toContain("updated 3:57 PM");
    input.press("q");
    await done;
  });

  test("a resize redraws at the new width; other frames never clear the screen", async () => {
    const { input, output, done } = start(source());
    input.press("?");
    const afterFirst = output.writes.slice(1);
    expect(afterFirst.some((w) => w.includes(CLEAR_SCREEN))).toBe(false);
    output.columns = 60;
    output.emit("resize");
    const last = output.writes.at(-1) as string;
    expect(last.startsWith(CLEAR_SCREEN)).toBe(true);
    for (const line of output.screen) expect(visibleWidth(line)).toBeLessThanOrEqual(60);
    expect(output.screen.length).toBe(30);
    input.press("q");
    await done;
  });

  test("redraws only when the frame changes", async () => {
    let current: StatusModel = model;
    const { input, output, done } = start(source({ load: () => current }), 5);
    await Bun.sleep(60);
    const settled = output.writes.length;
    await Bun.sleep(60);
    expect(output.writes.length).toBe(settled);
    current = { ...model, accounts: model.accounts.slice(0, 2) };
    await until(() => output.writes.length > settled);
    expect(output.screen.join("\n")).not.toContain("team-beta");
    input.press("q");
    await done;
  });

  test("samples in the background when data is due", async () => {
    const src = source({ due: () => 3 });
    const { input, done } = start(src);
    await until(() => src.samples.length === 1);
    expect(src.samples).toEqual([false]);
    input.press("q");
    await done;
  });

  test("a signal ends it with 128+n and restores the screen", async () => {
    const { output, done } = start(source());
    process.emit("SIGTERM", "SIGTERM");
    expect(await done).toBe(143);
    expect(output.all.endsWith(LEAVE)).toBe(true);
  });

  test("an error thrown from any callback restores the screen and surfaces", async () => {
    const before = listenerCounts();
    const { input, output, done } = start(source());
    process.emit("uncaughtException", new Error("boom"));
    await expect(done).rejects.toThrow("boom");
    expect(output.all.endsWith(SHOW_CURSOR + LEAVE)).toBe(true);
    expect(input.raw.at(-1)).toBe(false);
    expect(listenerCounts()).toEqual(before);
    expect(process.listenerCount("uncaughtException")).toBe(crashListeners);
  });

  test("an error while reading data restores the screen before it surfaces", async () => {
    let calls = 0;
    const { input, output, done } = start(
      source({
        load: () => {
          calls++;
          if (calls > 2) throw new Error("database is locked");
          return model;
        },
      }),
      5,
    );
    await expect(done).rejects.toThrow("database is locked");
    expect(output.all.endsWith(SHOW_CURSOR + LEAVE)).toBe(true);
    expect(input.raw.at(-1)).toBe(false);
  });
});

describe("TerminalScreen", () => {
  test("restore is idempotent and does nothing before enter", () => {
    const input = new FakeInput();
    const output = new FakeOutput();
    const screen = new TerminalScreen(input, output);
    screen.restore();
    expect(output.writes).toEqual([]);
    screen.enter();
    screen.restore();
    screen.restore();
    expect(output.all.split(LEAVE).length - 1).toBe(1);
  });

  test("full-width lines get no clear-to-end, shorter ones do", () => {
    const output = new FakeOutput();
    output.columns = 5;
    const screen = new TerminalScreen(new FakeInput(), output);
    screen.draw("abcde\nab", false);
    expect(output.writes[0]).toBe("\u001b[Habcde\r\nab\u001b[K\u001b[J");
  });
});
