// `ccp status --json`: a stable, documented shape. The schema below is the documentation; the
// tests validate real output against it, and strict objects make any undocumented key a failure.
//
// Conventions: every time is epoch milliseconds (plus `generatedAt` as ISO 8601); percentages are
// percent used, as reported by Anthropic (null when unknown); `score` and term values are points
// rounded to 0.1 like the table (terms sum to the score before rounding); accounts are in rank order.
// Bump `version` on any breaking change.
import * as v from "valibot";
import type { StatusModel } from "../../app/status.ts";
import { roundScore, scoreTerms } from "../../score/score-account.ts";

export const STATUS_JSON_VERSION = 1;

const nullableNumber = v.nullable(v.number());

const ForecastSchema = v.variant("kind", [
  /** The 5h window runs out at the current burn before it resets. */
  v.strictObject({ kind: v.literal("runs-dry"), atMs: v.number() }),
  /** The window resets first; null when no window is open and the runway exceeds 5 h. */
  v.strictObject({ kind: v.literal("lasts-to-reset"), resetAtMs: nullableNumber }),
  /** No measurable 5h burn in the last 45 min. */
  v.strictObject({ kind: v.literal("idle") }),
]);

const TermSchema = v.strictObject({
  key: v.picklist([
    "headroom5h",
    "resetCredit5h",
    "headroom7d",
    "resetCredit7d",
    "sessions",
    "rateLimited",
    "needsLogin",
    "stale",
    "barrier5h",
    "barrier7d",
    "runway",
  ]),
  label: v.string(),
  value: v.number(),
});

export const StatusAccountJsonSchema = v.strictObject({
  id: v.number(),
  name: v.string(),
  email: v.nullable(v.string()),
  organization: v.nullable(v.string()),
  configDir: v.string(),
  rank: v.number(),
  /** The account the next launch from `cwd` would use. */
  next: v.boolean(),
  /** The pin of `cwd` points here (see the top-level `pin` for whether it holds). */
  pinnedHere: v.boolean(),
  score: v.number(),
  terms: v.array(TermSchema),
  available: v.boolean(),
  exhausted: v.boolean(),
  exhaustedWindows: v.array(v.picklist(["5h", "7d", "7d-scoped"])),
  exhaustedUntilMs: nullableNumber,
  /** Display staleness: never sampled, token refresh failed, or no good sample for 5 min. */
  stale: v.boolean(),
  staleReason: v.nullable(v.picklist(["never-sampled", "refresh-failed", "old-sample"])),
  rateLimited: v.boolean(),
  needsLogin: v.boolean(),
  /** Running sessions: `ccp run` shims and claude processes found by the scan. */
  activeSessions: v.number(),
  /** Launches reserved by `ccp select`/`ccp env` whose claude is not seen yet (short-lived). */
  reservedSessions: v.number(),
  sampledAtMs: nullableNumber,
  util5Pct: nullableNumber,
  util7Pct: nullableNumber,
  /** A per-model weekly cap, when Anthropic reports one. */
  scoped7: v.nullable(v.strictObject({ pct: v.number(), resetAtMs: nullableNumber, model: v.string() })),
  reset5AtMs: nullableNumber,
  reset7AtMs: nullableNumber,
  /** Share of each window's use still counted (1 = no reset credit). */
  frac5: v.number(),
  frac7: v.number(),
  /** Effective headroom (with reset credit) and raw headroom, in percent. */
  eff5: v.number(),
  eff7: v.number(),
  raw5: v.number(),
  raw7: v.number(),
  burn5PctPerHour: v.number(),
  runwayHours: nullableNumber,
  forecast: ForecastSchema,
  lastPoll: v.nullable(
    v.strictObject({
      atMs: v.number(),
      status: v.picklist(["ok", "rate_limited", "unauthorized", "error"]),
      error: v.nullable(v.string()),
    }),
  ),
});

export const StatusJsonSchema = v.strictObject({
  version: v.literal(STATUS_JSON_VERSION),
  generatedAt: v.pipe(v.string(), v.isoTimestamp()),
  generatedAtMs: v.number(),
  /** The directory whose pin the next pick honours. */
  cwd: v.string(),
  daemonAlive: v.boolean(),
  /** What a launch from `cwd` would do now; null when nothing can be picked. */
  next: v.nullable(
    v.strictObject({
      id: v.number(),
      name: v.string(),
      kind: v.picklist(["selected", "pinned", "fallback"]),
    }),
  ),
  warning: v.nullable(v.string()),
  pin: v.nullable(
    v.strictObject({
      accountId: v.number(),
      manual: v.boolean(),
      updatedAtMs: v.number(),
      kept: v.boolean(),
      reason: v.nullable(v.picklist(["expired", "unavailable", "low-headroom"])),
    }),
  ),
  /** Newest good sample of any account. */
  dataAtMs: nullableNumber,
  totals: v.strictObject({
    accounts: v.number(),
    available: v.number(),
    exhausted: v.number(),
    liveSessions: v.number(),
    avg5Pct: nullableNumber,
    avg7Pct: nullableNumber,
  }),
  accounts: v.array(StatusAccountJsonSchema),
});

export type StatusJson = v.InferOutput<typeof StatusJsonSchema>;

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function statusJson(model: StatusModel): StatusJson {
  const byId = new Map(model.accounts.map((a) => [a.id, a]));
  const next = model.next ? byId.get(model.next.accountId) : undefined;
  return {
    version: STATUS_JSON_VERSION,
    generatedAt: new Date(model.generatedAtMs).toISOString(),
    generatedAtMs: model.generatedAtMs,
    cwd: model.cwd,
    daemonAlive: model.daemonAlive,
    next: model.next && next ? { id: next.id, name: next.name, kind: model.next.kind } : null,
    warning: model.warning,
    pin: model.pin,
    dataAtMs: model.dataAtMs,
    totals: {
      ...model.totals,
      avg5Pct: model.totals.avg5Pct === null ? null : round2(model.totals.avg5Pct),
      avg7Pct: model.totals.avg7Pct === null ? null : round2(model.totals.avg7Pct),
    },
    accounts: model.accounts.map((a) => ({
      id: a.id,
      name: a.name,
      email: a.email,
      organization: a.orgName,
      configDir: a.configDir,
      rank: a.rank,
      next: a.next,
      pinnedHere: a.pinnedHere,
      score: roundScore(a.score),
      terms: scoreTerms(a).map((t) => ({ key: t.key, label: t.label, value: roundScore(t.value) })),
      available: a.available,
      exhausted: a.exhausted,
      exhaustedWindows: a.exhaustedWindows,
      exhaustedUntilMs: a.exhaustedUntilMs,
      stale: a.stale,
      staleReason: a.staleReason,
      rateLimited: a.rateLimited,
      needsLogin: a.needsLogin,
      activeSessions: a.activeSessions,
      reservedSessions: a.reservedSessions,
      sampledAtMs: a.sampledAtMs,
      util5Pct: a.util5Pct,
      util7Pct: a.util7Pct,
      scoped7: a.scoped7,
      reset5AtMs: a.reset5AtMs,
      reset7AtMs: a.reset7AtMs,
      frac5: round2(a.frac5),
      frac7: round2(a.frac7),
      eff5: round2(a.eff5),
      eff7: round2(a.eff7),
      raw5: round2(a.raw5),
      raw7: round2(a.raw7),
      burn5PctPerHour: round2(a.burn5PctPerHour),
      runwayHours: a.runwayHours === null ? null : round2(a.runwayHours),
      forecast:
        a.forecast.kind === "runs-dry" ? { kind: "runs-dry", atMs: Math.round(a.forecast.atMs) } : a.forecast,
      lastPoll: a.lastPoll,
    })),
  };
}
