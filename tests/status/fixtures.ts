// Fixed pools for the status tests: a real SQLite file filled through the store functions, read at
// a fixed `now`, so models and renders are the same on every machine.
import { join } from "node:path";
import { type StatusModel, buildStatusModel } from "../../src/app/status.ts";
import { insertAccount } from "../../src/store/accounts.ts";
import { type Db, openDb } from "../../src/store/db.ts";
import { updateHealth } from "../../src/store/health.ts";
import { insertSession, setPin } from "../../src/store/sessions.ts";
import { type SampleStatus, insertSample } from "../../src/store/usage.ts";
import { makeClock } from "../../src/ui/status/clock.ts";
import { tempDir } from "../helpers/cli.ts";

/** 2025-06-10 15:58 UTC: "3:58 PM" with the test clock. */
export const NOW_MS = Date.UTC(2025, 5, 10, 15, 58);
export const MIN_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const CWD = "/home/dev/project";
export const TEST_CLOCK = makeClock("UTC", "en-US");

export interface SampleSpec {
  ageMs: number;
  util5: number | null;
  util7: number | null;
  reset5InMs?: number | null;
  reset7InMs?: number | null;
  status?: SampleStatus;
  error?: string | null;
}

export interface FixtureAccount {
  name: string;
  email?: string;
  org?: string;
  samples?: SampleSpec[];
  needsLogin?: boolean;
  /** Reservations (no process) that are live at NOW_MS. */
  sessions?: number;
}

function addSample(db: Db, accountId: number, s: SampleSpec): void {
  const status = s.status ?? "ok";
  const ok = status === "ok";
  insertSample(db, {
    accountId,
    takenAtMs: NOW_MS - s.ageMs,
    status,
    util5Pct: ok ? s.util5 : null,
    reset5AtMs: !ok || s.reset5InMs === null ? null : NOW_MS + (s.reset5InMs ?? 2 * HOUR_MS + 2 * MIN_MS),
    util7Pct: ok ? s.util7 : null,
    reset7AtMs: !ok || s.reset7InMs === null ? null : NOW_MS + (s.reset7InMs ?? 4 * DAY_MS + HOUR_MS),
    scoped7Pct: null,
    scoped7ResetAtMs: null,
    scoped7Model: null,
    extraUsageEnabled: null,
    error: s.error ?? (ok ? null : "HTTP 429 from the usage endpoint"),
  });
}

/** A rising 5h history: one sample every `stepMs` over `spanMs`, ending `endAgeMs` ago at `endPct`. */
export function rising(
  endPct: number,
  perHourPct: number,
  spanMs: number,
  stepMs = 10 * MIN_MS,
  endAgeMs = 30_000,
): SampleSpec[] {
  const out: SampleSpec[] = [];
  for (let age = endAgeMs + spanMs; age >= endAgeMs; age -= stepMs) {
    const pct = Math.max(0, endPct - (perHourPct * (age - endAgeMs)) / HOUR_MS);
    out.push({ ageMs: age, util5: Math.round(pct * 10) / 10, util7: null });
  }
  return out;
}

export interface Fixture {
  db: Db;
  ids: Record<string, number>;
  model(cwd?: string): StatusModel;
  close(): void;
}

export function makeFixture(
  accounts: FixtureAccount[],
  options: { pin?: { name: string; manual: boolean } } = {},
): Fixture {
  const db = openDb(join(tempDir("status-"), "pool.db"));
  const ids: Record<string, number> = {};
  accounts.forEach((a, i) => {
    const id = i + 1;
    ids[a.name] = id;
    insertAccount(db, {
      id,
      name: a.name,
      nameIsCustom: false,
      configDir: `/pool/accounts/acct-0${id}`,
      email: a.email ?? null,
      orgName: a.org ?? null,
      createdAtMs: NOW_MS - 30 * DAY_MS,
    });
    for (const s of a.samples ?? []) addSample(db, id, s);
    if (a.needsLogin)
      updateHealth(db, id, NOW_MS - HOUR_MS, { needsLogin: true, lastError: "no stored login" });
    for (let n = 0; n < (a.sessions ?? 0); n++) {
      insertSession(db, {
        accountId: id,
        // A running session (this test process stands in for its shim).
        kind: "run",
        pid: process.pid,
        cwd: "/elsewhere",
        startedAtMs: NOW_MS - MIN_MS,
      });
    }
  });
  if (options.pin) setPin(db, CWD, ids[options.pin.name] as number, NOW_MS - 5 * MIN_MS, options.pin.manual);
  return {
    db,
    ids,
    model: (cwd = CWD) => buildStatusModel(db, NOW_MS, cwd),
    close: () => db.close(),
  };
}

/** The last sample of a history with both windows set. */
function fresh(util5: number, util7: number, extra: Partial<SampleSpec> = {}): SampleSpec {
  return { ageMs: 30_000, util5, util7, ...extra };
}

export const SCENARIOS: Record<string, () => Fixture> = {
  empty: () => makeFixture([]),
  "one account": () =>
    makeFixture([
      {
        name: "work@example.com",
        email: "work@example.com",
        org: "Acme",
        samples: [...rising(20, 2, 4 * HOUR_MS, 20 * MIN_MS, 20 * MIN_MS), fresh(22, 46)],
      },
    ]),
  "five accounts": () =>
    makeFixture(
      [
        {
          name: "work@example.com",
          email: "work@example.com",
          org: "Acme",
          samples: [fresh(22, 46)],
          sessions: 1,
        },
        {
          name: "personal@example.com",
          email: "personal@example.com",
          samples: [
            ...rising(61, 24, 40 * MIN_MS, 5 * MIN_MS, 60_000),
            fresh(61.4, 70, { reset5InMs: 4 * HOUR_MS }),
          ],
        },
        { name: "team-alpha", needsLogin: true },
        {
          name: "team-beta",
          samples: [
            { ageMs: 10 * MIN_MS, util5: 40, util7: 50 },
            { ageMs: MIN_MS, util5: null, util7: null, status: "rate_limited" },
          ],
        },
        { name: "side-project", samples: [fresh(100, 88, { reset5InMs: 45 * MIN_MS })] },
      ],
      { pin: { name: "work@example.com", manual: true } },
    ),
  "exhausted pool": () =>
    makeFixture([
      { name: "main", samples: [fresh(100, 60, { reset5InMs: 50 * MIN_MS })] },
      { name: "backup", samples: [fresh(99.8, 100, { reset5InMs: 3 * HOUR_MS, reset7InMs: 2 * DAY_MS })] },
    ]),
};
