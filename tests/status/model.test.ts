import { afterEach, describe, expect, test } from "bun:test";
import {
  SPARK_SPAN_MS,
  STATUS_FRESH_MS,
  accountsToSample,
  buildStatusModel,
  togglePin,
} from "../../src/app/status.ts";
import { scoreTerms } from "../../src/score/score-account.ts";
import { DAEMON_HEARTBEAT_KEY, setMeta } from "../../src/store/meta.ts";
import { getPin, setPin } from "../../src/store/sessions.ts";
import { statusJson } from "../../src/ui/status/json.ts";
import { renderPlain } from "../../src/ui/status/plain.ts";
import {
  CWD,
  type Fixture,
  HOUR_MS,
  MIN_MS,
  NOW_MS,
  SCENARIOS,
  TEST_CLOCK,
  makeFixture,
} from "./fixtures.ts";

const open: Fixture[] = [];
function use(f: Fixture): Fixture {
  open.push(f);
  return f;
}
afterEach(() => {
  for (const f of open.splice(0)) f.close();
});

describe("buildStatusModel", () => {
  test("ranks accounts, marks the next pick and counts totals", () => {
    const f = use(SCENARIOS["five accounts"]?.() as Fixture);
    const m = f.model();
    expect(m.generatedAtMs).toBe(NOW_MS);
    expect(m.accounts.map((a) => a.name)).toEqual([
      "work@example.com",
      "side-project",
      "personal@example.com",
      "team-alpha",
      "team-beta",
    ]);
    expect(m.accounts.map((a) => a.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(m.accounts.filter((a) => a.next).map((a) => a.name)).toEqual(["work@example.com"]);
    expect(m.next).toEqual({ accountId: f.ids["work@example.com"] as number, kind: "pinned" });
    expect(m.totals).toEqual({
      accounts: 5,
      available: 3,
      exhausted: 1,
      liveSessions: 1,
      avg5Pct: (22 + 61.4 + 40 + 100) / 4,
      avg7Pct: (46 + 70 + 50 + 88) / 4,
    });
    expect(m.daemonAlive).toBe(false);
    expect(m.dataAtMs).toBe(NOW_MS - 30_000);
  });

  test("carries flags, forecasts and the last failed poll", () => {
    const m = use(SCENARIOS["five accounts"]?.() as Fixture).model();
    const by = (name: string) => m.accounts.find((a) => a.name === name);
    expect(by("team-alpha")).toMatchObject({
      needsLogin: true,
      stale: true,
      staleReason: "never-sampled",
      util5Pct: null,
    });
    expect(by("team-beta")).toMatchObject({
      rateLimited: true,
      stale: true,
      staleReason: "old-sample",
      util5Pct: 40,
      lastPoll: { atMs: NOW_MS - MIN_MS, status: "rate_limited", error: "HTTP 429 from the usage endpoint" },
    });
    expect(by("side-project")).toMatchObject({ exhausted: true, exhaustedWindows: ["5h"], available: false });
    expect(by("personal@example.com")?.forecast.kind).toBe("runs-dry");
    expect(by("work@example.com")).toMatchObject({
      activeSessions: 1,
      pinnedHere: true,
      forecast: { kind: "idle" },
    });
  });

  test("calls data stale only after five minutes, though the score already docks it", () => {
    const f = use(
      makeFixture([
        { name: "two-min", samples: [{ ageMs: 2 * MIN_MS, util5: 10, util7: 10 }] },
        { name: "six-min", samples: [{ ageMs: 6 * MIN_MS, util5: 10, util7: 10 }] },
      ]),
    );
    const m = f.model();
    const twoMin = m.accounts.find((a) => a.name === "two-min");
    const sixMin = m.accounts.find((a) => a.name === "six-min");
    expect(twoMin?.stale).toBe(false);
    expect((twoMin ? scoreTerms(twoMin) : []).find((t) => t.key === "stale")?.value).toBe(-20);
    expect(sixMin?.stale).toBe(true);
    expect(sixMin?.staleReason).toBe("old-sample");
  });

  test("the sparkline history holds only good samples of the last five hours", () => {
    const f = use(
      makeFixture([
        {
          name: "a",
          samples: [
            { ageMs: SPARK_SPAN_MS + MIN_MS, util5: 90, util7: 10 },
            { ageMs: 2 * HOUR_MS, util5: 30, util7: 10 },
            { ageMs: HOUR_MS, util5: null, util7: null, status: "error", error: "timeout" },
            { ageMs: 30_000, util5: 35, util7: 10 },
          ],
        },
      ]),
    );
    expect(f.model().accounts[0]?.history).toEqual([
      { takenAtMs: NOW_MS - 2 * HOUR_MS, util5Pct: 30 },
      { takenAtMs: NOW_MS - 30_000, util5Pct: 35 },
    ]);
  });

  test("the next pick honours the pin of the directory it is built for, and only that one", () => {
    const f = use(
      makeFixture(
        [
          { name: "emptier", samples: [{ ageMs: 30_000, util5: 10, util7: 10 }] },
          { name: "fuller", samples: [{ ageMs: 30_000, util5: 50, util7: 50 }] },
        ],
        { pin: { name: "fuller", manual: true } },
      ),
    );
    const here = f.model(CWD);
    expect(here.next).toEqual({ accountId: f.ids.fuller as number, kind: "pinned" });
    expect(here.pin).toMatchObject({ accountId: f.ids.fuller, manual: true, kept: true, reason: null });
    const elsewhere = f.model("/somewhere/else");
    expect(elsewhere.next).toEqual({ accountId: f.ids.emptier as number, kind: "selected" });
    expect(elsewhere.pin).toBeNull();
    expect(elsewhere.accounts.some((a) => a.pinnedHere)).toBe(false);
  });

  test("an expired pin is shown but does not decide the next pick", () => {
    const f = use(
      makeFixture([
        { name: "emptier", samples: [{ ageMs: 30_000, util5: 10, util7: 10 }] },
        { name: "fuller", samples: [{ ageMs: 30_000, util5: 50, util7: 50 }] },
      ]),
    );
    setPin(f.db, CWD, f.ids.fuller as number, NOW_MS - 2 * HOUR_MS, false);
    const m = f.model();
    expect(m.pin).toMatchObject({ kept: false, reason: "expired" });
    expect(m.next?.kind).toBe("selected");
    expect(m.accounts.find((a) => a.pinnedHere)?.name).toBe("fuller");
  });

  test("an empty pool has no accounts and no pick", () => {
    const m = use(SCENARIOS.empty?.() as Fixture).model();
    expect(m.accounts).toEqual([]);
    expect(m.next).toBeNull();
    expect(m.totals.accounts).toBe(0);
  });
  test("without history (the plain table, --json) only the sparkline's samples are left out", () => {
    for (const [name, make] of Object.entries(SCENARIOS)) {
      const f = use(make());
      const full = f.model();
      const lean = buildStatusModel(f.db, NOW_MS, CWD, { history: false });
      expect(lean.accounts.every((a) => a.history.length === 0)).toBe(true);
      const noHistory = { ...full, accounts: full.accounts.map((a) => ({ ...a, history: [] })) };
      expect(lean).toEqual(noHistory);
      for (const color of [false, true])
        expect(renderPlain(lean, { color, clock: TEST_CLOCK })).toBe(
          renderPlain(full, { color, clock: TEST_CLOCK }),
        );
      expect(statusJson(lean)).toEqual(statusJson(full));
      if (name === "five accounts") expect(full.accounts.some((a) => a.history.length > 0)).toBe(true);
    }
  });
});

describe("togglePin", () => {
  test("pins by hand, then unpins the same account", () => {
    const f = use(
      makeFixture([{ name: "a", samples: [{ ageMs: 30_000, util5: 10, util7: 10 }] }, { name: "b" }]),
    );
    const a = f.ids.a as number;
    expect(togglePin(f.db, CWD, a, NOW_MS, false)).toEqual({ kind: "pinned", accountId: a });
    expect(getPin(f.db, CWD)).toEqual({ cwd: CWD, accountId: a, updatedAtMs: NOW_MS, manual: true });
    const model = buildStatusModel(f.db, NOW_MS, CWD);
    expect(model.pin?.kept).toBe(true);
    expect(togglePin(f.db, CWD, a, NOW_MS, true)).toEqual({ kind: "unpinned", accountId: a });
    expect(getPin(f.db, CWD)).toBeUndefined();
  });

  test("moves a pin to another account instead of removing it", () => {
    const f = use(makeFixture([{ name: "a" }, { name: "b" }]));
    togglePin(f.db, CWD, f.ids.a as number, NOW_MS, false);
    expect(togglePin(f.db, CWD, f.ids.b as number, NOW_MS, false).kind).toBe("pinned");
    expect(getPin(f.db, CWD)?.accountId).toBe(f.ids.b as number);
  });

  test("renews a pin to the same account that no longer holds", () => {
    const f = use(makeFixture([{ name: "a" }]));
    setPin(f.db, CWD, f.ids.a as number, NOW_MS - 2 * HOUR_MS, false);
    expect(togglePin(f.db, CWD, f.ids.a as number, NOW_MS, false).kind).toBe("pinned");
    expect(getPin(f.db, CWD)).toMatchObject({ updatedAtMs: NOW_MS, manual: true });
  });
});

describe("accountsToSample", () => {
  function pool(): Fixture {
    return use(
      makeFixture([
        { name: "fresh", samples: [{ ageMs: 10_000, util5: 1, util7: 1 }] },
        { name: "old", samples: [{ ageMs: STATUS_FRESH_MS + 1_000, util5: 1, util7: 1 }] },
        { name: "never" },
      ]),
    );
  }

  test("without a daemon, samples what is older than a minute", () => {
    const f = pool();
    expect(accountsToSample(f.db, NOW_MS, { live: false }).map((a) => a.name)).toEqual(["old", "never"]);
  });

  test("with a daemon alive, samples nothing unless --live", () => {
    const f = pool();
    setMeta(f.db, DAEMON_HEARTBEAT_KEY, String(NOW_MS - 10_000));
    expect(accountsToSample(f.db, NOW_MS, { live: false })).toEqual([]);
    expect(accountsToSample(f.db, NOW_MS, { live: true }).map((a) => a.name)).toEqual(["old", "never"]);
  });

  test("forced (`r`, or --live at start) samples every account", () => {
    const f = pool();
    setMeta(f.db, DAEMON_HEARTBEAT_KEY, String(NOW_MS - 10_000));
    expect(accountsToSample(f.db, NOW_MS, { live: false, force: true }).map((a) => a.name)).toEqual([
      "fresh",
      "old",
      "never",
    ]);
  });
});
