import * as v from "valibot";

/**
 * The per-model weekly cap that binds first: the highest percent among the `seven_day_<model>`
 * windows and the `weekly_scoped` limits.
 */
export interface ScopedWeeklyUsage {
  pct: number;
  resetAtMs: number | null;
  /** The model's display name, e.g. `Opus`. */
  model: string;
}

export interface ExtraUsageInfo {
  enabled: boolean | null;
  monthlyLimitCents: number | null;
  usedCreditsCents: number | null;
  utilPct: number | null;
  currency: string | null;
}

/** One reading of `/api/oauth/usage`. Utilizations are percents (0-100), never fractions. */
export interface UsageSnapshot {
  util5Pct: number | null;
  reset5AtMs: number | null;
  util7Pct: number | null;
  reset7AtMs: number | null;
  scoped7: ScopedWeeklyUsage | null;
  /** Every per-model weekly bucket, fullest first (`scoped7` is the first). */
  scopedBuckets: ScopedWeeklyUsage[];
  extraUsageEnabled: boolean | null;
  extraUsage: ExtraUsageInfo | null;
  /** Values the parser had to correct (a percent outside 0-100, a reset time no date can hold). */
  adjusted?: string[];
}

export interface ProfileInfo {
  accountUuid: string | null;
  email: string | null;
  displayName: string | null;
  organizationUuid: string | null;
  organizationName: string | null;
}

export interface TokenGrant {
  accessToken: string;
  /** Absent when the server did not rotate it: keep the old one. */
  refreshToken: string | undefined;
  /** Null when the answer carried no usable `expires_in`. */
  expiresInS: number | null;
  /** The granted scopes, when the answer listed them. */
  scopes: string[] | undefined;
  tokenType: string | undefined;
}

/** Thrown by the parsers; `detail` names the first problem, e.g. `five_hour.utilization: expected number`. */
export class PayloadError extends Error {
  readonly detail: string;
  constructor(detail: string) {
    super(detail);
    this.name = "PayloadError";
    this.detail = detail;
  }
}

const finiteNumber = v.pipe(v.number(), v.finite());
const resetAt = v.nullish(v.union([v.string(), v.number()]));
const nullishString = v.nullish(v.string());

const WindowSchema = v.looseObject({
  utilization: v.nullish(finiteNumber),
  resets_at: resetAt,
});

// Only the fields cc-pool reads are checked; `severity`, `is_active`, `surface` and the like pass.
const LimitSchema = v.looseObject({
  kind: v.string(),
  percent: v.nullish(finiteNumber),
  resets_at: resetAt,
  scope: v.nullish(
    v.looseObject({
      model: v.nullish(v.looseObject({ id: nullishString, display_name: nullishString })),
    }),
  ),
});

const KNOWN_LIMIT_KINDS = new Set(["session", "weekly_all", "weekly_scoped"]);

const ExtraUsageSchema = v.looseObject({
  is_enabled: v.nullish(v.boolean()),
  monthly_limit: v.nullish(finiteNumber),
  used_credits: v.nullish(finiteNumber),
  utilization: v.nullish(finiteNumber),
  currency: nullishString,
});

// Per-model `seven_day_*` windows (opus, sonnet, codename keys) pass looseObject unchecked and are
// read one by one in readModelWindows, so a new or odd one never breaks polling.
const UsageSchema = v.looseObject({
  five_hour: v.nullish(WindowSchema),
  seven_day: v.nullish(WindowSchema),
  limits: v.nullish(v.array(v.unknown())),
  extra_usage: v.nullish(ExtraUsageSchema),
});

type Window = v.InferOutput<typeof WindowSchema>;
type Limit = v.InferOutput<typeof LimitSchema>;

function describeIssue(issues: readonly v.BaseIssue<unknown>[], prefix = ""): string {
  const issue = issues[0];
  if (!issue) return `${prefix || "payload"}: unexpected shape`;
  const dotPath = v.getDotPath(issue);
  const path = [prefix, dotPath].filter(Boolean).join(".") || "payload";
  // `expected` names a type; the received value is never echoed, it could be anything.
  return `${path}: expected ${issue.expected ?? "a different value"}`;
}

function parseWith<T extends v.GenericSchema>(schema: T, input: unknown, prefix = ""): v.InferOutput<T> {
  // valibot's object schemas accept arrays; no answer of these endpoints is one.
  if (Array.isArray(input)) throw new PayloadError(`${prefix || "payload"}: expected Object`);
  const result = v.safeParse(schema, input);
  if (!result.success) throw new PayloadError(describeIssue(result.issues, prefix));
  return result.output;
}

// Epoch values above this are milliseconds: as seconds they would lie past the year 5000.
const EPOCH_MS_THRESHOLD = 1e11;
/** The largest epoch ms a JavaScript Date can hold; beyond it every date formatter throws. */
const MAX_DATE_MS = 8.64e15;

/** A percent as cc-pool uses it: within 0-100; anything outside is noted and clamped. */
function clampPct(value: number | null | undefined, path: string, adjusted: string[]): number | null {
  if (value === null || value === undefined) return null;
  if (value >= 0 && value <= 100) return value;
  const clamped = value < 0 ? 0 : 100;
  adjusted.push(`${path} ${value} counted as ${clamped}`);
  return clamped;
}

/** A reset time no Date can hold (9e15, 1e20) is dropped, with a note, instead of failing later. */
function boundedResetAtMs(
  value: string | number | null | undefined,
  path: string,
  adjusted: string[],
): number | null {
  const ms = parseResetAtMs(value, path);
  if (ms === null || Math.abs(ms) <= MAX_DATE_MS) return ms;
  adjusted.push(`${path} out of range, ignored`);
  return null;
}

/** `resets_at` as epoch ms: ISO-8601 string, epoch seconds (number or numeric string), or null. */
export function parseResetAtMs(value: string | number | null | undefined, path: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new PayloadError(`${path}: expected finite number`);
    return value > EPOCH_MS_THRESHOLD ? Math.round(value) : Math.round(value * 1000);
  }
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return parseResetAtMs(Number(trimmed), path);
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) throw new PayloadError(`${path}: expected ISO-8601 date or epoch seconds`);
  return ms;
}

function readWindow(
  window: Window | null | undefined,
  key: string,
  adjusted: string[],
): { pct: number | null; resetAtMs: number | null } {
  if (!window) return { pct: null, resetAtMs: null };
  return {
    pct: clampPct(window.utilization, `${key}.utilization`, adjusted),
    resetAtMs: boundedResetAtMs(window.resets_at, `${key}.resets_at`, adjusted),
  };
}

function readLimits(raw: readonly unknown[]): Array<{ limit: Limit; index: number }> {
  const known: Array<{ limit: Limit; index: number }> = [];
  raw.forEach((entry, index) => {
    // New kinds are skipped unchecked, so a future limit type cannot break polling.
    const kind = v.safeParse(v.looseObject({ kind: v.string() }), entry);
    if (!kind.success || !KNOWN_LIMIT_KINDS.has(kind.output.kind)) return;
    known.push({ limit: parseWith(LimitSchema, entry, `limits.${index}`), index });
  });
  return known;
}

function limitWindow(
  limit: Limit,
  index: number,
  adjusted: string[],
): { pct: number | null; resetAtMs: number | null } {
  return {
    pct: clampPct(limit.percent, `limits.${index}.percent`, adjusted),
    resetAtMs: boundedResetAtMs(limit.resets_at, `limits.${index}.resets_at`, adjusted),
  };
}

const MODEL_WINDOW_PREFIX = "seven_day_";
const MODEL_NAMES: Record<string, string> = { opus: "Opus", sonnet: "Sonnet", haiku: "Haiku" };

/** `seven_day_opus` → `Opus`, `seven_day_oauth_apps` → `Oauth apps`. */
export function modelWindowName(key: string): string {
  const suffix = key.slice(MODEL_WINDOW_PREFIX.length);
  const known = MODEL_NAMES[suffix.toLowerCase()];
  if (known) return known;
  const words = suffix.replace(/_+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Every `seven_day_<model>` window with the usage shape and a utilization. They are binding
 * per-model weekly limits; one that does not fit the shape is skipped, not fatal.
 */
function readModelWindows(payload: Record<string, unknown>, adjusted: string[]): ScopedWeeklyUsage[] {
  const out: ScopedWeeklyUsage[] = [];
  for (const [key, value] of Object.entries(payload)) {
    if (!key.startsWith(MODEL_WINDOW_PREFIX) || key.length === MODEL_WINDOW_PREFIX.length) continue;
    if (value === null || typeof value !== "object" || Array.isArray(value)) continue;
    const window = v.safeParse(WindowSchema, value);
    if (!window.success || window.output.utilization == null) continue;
    let resetAtMs: number | null;
    try {
      resetAtMs = boundedResetAtMs(window.output.resets_at, `${key}.resets_at`, adjusted);
    } catch {
      continue;
    }
    const model = modelWindowName(key);
    if (model === "") continue;
    out.push({
      pct: clampPct(window.output.utilization, `${key}.utilization`, adjusted) ?? 0,
      resetAtMs,
      model,
    });
  }
  return out;
}

/**
 * Turns a usage payload into plain data. Throws PayloadError naming the first field that does not
 * fit. `five_hour`/`seven_day` win; the `session`/`weekly_all` limits stand in when those are absent.
 */
export function parseUsagePayload(json: unknown): UsageSnapshot {
  const payload = parseWith(UsageSchema, json);
  const adjusted: string[] = [];
  let five = readWindow(payload.five_hour, "five_hour", adjusted);
  let seven = readWindow(payload.seven_day, "seven_day", adjusted);
  const limits = readLimits(payload.limits ?? []);

  const session = limits.find((l) => l.limit.kind === "session");
  if (!payload.five_hour && session) five = limitWindow(session.limit, session.index, adjusted);
  const weeklyAll = limits.find((l) => l.limit.kind === "weekly_all");
  if (!payload.seven_day && weeklyAll) seven = limitWindow(weeklyAll.limit, weeklyAll.index, adjusted);

  let scoped7: ScopedWeeklyUsage | null = null;
  const scopedBuckets = readModelWindows(payload, adjusted);
  for (const bucket of scopedBuckets) {
    if (scoped7 === null || bucket.pct > scoped7.pct) scoped7 = bucket;
  }
  for (const { limit, index } of limits) {
    const model = limit.scope?.model?.display_name?.trim();
    if (limit.kind !== "weekly_scoped" || !model || limit.percent == null) continue;
    const bucket = {
      pct: clampPct(limit.percent, `limits.${index}.percent`, adjusted) ?? 0,
      resetAtMs: boundedResetAtMs(limit.resets_at, `limits.${index}.resets_at`, adjusted),
      model,
    };
    scopedBuckets.push(bucket);
    if (scoped7 === null || bucket.pct > scoped7.pct) scoped7 = bucket;
  }
  scopedBuckets.sort((a, b) => b.pct - a.pct);

  const extra = payload.extra_usage;
  return {
    util5Pct: five.pct,
    reset5AtMs: five.resetAtMs,
    util7Pct: seven.pct,
    reset7AtMs: seven.resetAtMs,
    scoped7,
    scopedBuckets,
    extraUsageEnabled: extra?.is_enabled ?? null,
    extraUsage: extra
      ? {
          enabled: extra.is_enabled ?? null,
          monthlyLimitCents: extra.monthly_limit ?? null,
          usedCreditsCents: extra.used_credits ?? null,
          utilPct: extra.utilization ?? null,
          currency: extra.currency ?? null,
        }
      : null,
    ...(adjusted.length > 0 ? { adjusted } : {}),
  };
}

const ProfileSchema = v.looseObject({
  account: v.nullish(
    v.looseObject({
      uuid: nullishString,
      email: nullishString,
      email_address: nullishString,
      display_name: nullishString,
      full_name: nullishString,
    }),
  ),
  organization: v.nullish(v.looseObject({ uuid: nullishString, name: nullishString })),
});

/** Turns a profile payload into the account's identity; every field may be missing. */
export function parseProfilePayload(json: unknown): ProfileInfo {
  const payload = parseWith(ProfileSchema, json);
  const account = payload.account;
  const organization = payload.organization;
  return {
    accountUuid: account?.uuid || null,
    email: account?.email || account?.email_address || null,
    displayName: account?.display_name || account?.full_name || null,
    organizationUuid: organization?.uuid || null,
    organizationName: organization?.name || null,
  };
}

const TokenSchema = v.looseObject({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  refresh_token: v.nullish(v.string()),
  expires_in: v.nullish(v.unknown()),
  scope: v.nullish(v.unknown()),
  token_type: v.nullish(v.unknown()),
});

/**
 * Parses a token answer. Only `access_token` is required: by the time this runs the old refresh
 * token is spent, so rejecting an answer over a side field would log the account out.
 */
export function parseTokenPayload(json: unknown): TokenGrant {
  const payload = parseWith(TokenSchema, json);
  const expiresIn =
    typeof payload.expires_in === "number"
      ? payload.expires_in
      : typeof payload.expires_in === "string" && /^\d+(\.\d+)?$/.test(payload.expires_in.trim())
        ? Number(payload.expires_in)
        : Number.NaN;
  const scopes =
    typeof payload.scope === "string" ? payload.scope.split(/\s+/).filter((s) => s.length > 0) : undefined;
  return {
    accessToken: payload.access_token,
    refreshToken: payload.refresh_token ? payload.refresh_token : undefined,
    expiresInS: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : null,
    scopes: scopes && scopes.length > 0 ? scopes : undefined,
    tokenType: typeof payload.token_type === "string" ? payload.token_type : undefined,
  };
}
