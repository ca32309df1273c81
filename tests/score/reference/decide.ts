// The score as it was before it was rewritten for the interpreter (inlined windows, terms and
// pick), kept unchanged as the oracle tests/score/oracle.test.ts compares the live code against.
// Do not edit: a difference between the two is a bug in src/score.
import { PIN_MIN_RAW5_PCT, PIN_TTL_MS, WAIT_RECHECK_MS } from "../../../src/score/constants.ts";
import { compareScored, rankScored } from "./rank.ts";
import { scoreAccount } from "./score-account.ts";
import type { DecideInput, Decision, PinState, PinVerdict, ScoredAccount } from "../../../src/score/types.ts";

/**
 * A pin holds while it is alive (a live session from its cwd, or touched less than `PIN_TTL_MS`
 * ago) and its account is available with at least `PIN_MIN_RAW5_PCT` raw 5h headroom.
 */
export function judgePin(pin: PinState, ranked: readonly ScoredAccount[], nowMs: number): PinVerdict {
  const accountId = pin.accountId;
  if (!pin.live && nowMs - pin.updatedAtMs >= PIN_TTL_MS)
    return { accountId, kept: false, reason: "expired" };
  const account = ranked.find((a) => a.id === accountId);
  if (account === undefined || !account.available) return { accountId, kept: false, reason: "unavailable" };
  if (account.raw5 < PIN_MIN_RAW5_PCT) return { accountId, kept: false, reason: "low-headroom" };
  return { accountId, kept: true };
}

function windowsText(account: ScoredAccount): string {
  const names = account.exhaustedWindows.map((w) => (w === "7d-scoped" ? `7d ${account.scoped7?.model}` : w));
  return names.length === 1 ? `its ${names[0]} window resets` : `its ${names.join(" and ")} windows reset`;
}

function exhaustedWarning(account: ScoredAccount, lead: string): string {
  return (
    `${lead}: ${account.name} has no headroom left, so this session will bill extra usage ` +
    `(if enabled) or be rate-limited until ${windowsText(account)}.`
  );
}

function forcedWarning(account: ScoredAccount): string | null {
  const parts: string[] = [];
  if (account.exhausted) parts.push(exhaustedWarning(account, "Forced account"));
  if (account.needsLogin)
    parts.push(`${account.name} needs a fresh login; the session may ask you to log in.`);
  return parts.length === 0 ? null : parts.join(" ");
}

/** When the first account that can recover by itself gets headroom back; null when unknown. */
export function soonestRecoveryMs(ranked: readonly ScoredAccount[], nowMs: number): number | null {
  let soonest: number | null = null;
  for (const account of ranked) {
    if (account.needsLogin) continue;
    // Every exhausted window (5h, 7d, a model's) must reset; a plain 5h reset can also free room.
    for (const atMs of [account.exhaustedUntilMs, account.reset5AtMs]) {
      if (atMs !== null && atMs > nowMs && (soonest === null || atMs < soonest)) soonest = atMs;
    }
  }
  return soonest;
}

/** The soonest moment a waiting launch should look again. */
function wakeAt(ranked: readonly ScoredAccount[], nowMs: number): number {
  const recovery = soonestRecoveryMs(ranked, nowMs);
  return Math.min(nowMs + WAIT_RECHECK_MS, recovery ?? Number.POSITIVE_INFINITY);
}

/** The first account in rank order that satisfies `ok`, found without sorting. */
function bestWhere(
  scored: readonly ScoredAccount[],
  ok: (a: ScoredAccount) => boolean,
): ScoredAccount | undefined {
  let best: ScoredAccount | undefined;
  for (const a of scored) if (ok(a) && (best === undefined || compareScored(a, best) < 0)) best = a;
  return best;
}

/**
 * The decision with its `ranked` list sorted on first read: a plain pick needs only the best
 * account, found in one pass; the explanation, the JSON and the wait line read the whole ranking.
 */
function withRanking<D extends object>(
  decision: D,
  scored: readonly ScoredAccount[],
): D & { ranked: ScoredAccount[] } {
  let ranked: ScoredAccount[] | undefined;
  return Object.defineProperty(decision, "ranked", {
    enumerable: true,
    get: () => {
      ranked ??= rankScored(scored);
      return ranked;
    },
  }) as D & { ranked: ScoredAccount[] };
}

/**
 * Chooses the account for a launch: a forced id wins, then a live pin, then the best available
 * account; with nothing available it waits (when asked), falls back to the best exhausted account
 * that can still serve, or reports that nothing can.
 */
export function decide(input: DecideInput): Decision {
  const { nowMs } = input;
  const scored = input.accounts.map((account) => scoreAccount(account, nowMs));

  const forcedId = input.forcedId ?? null;
  if (forcedId !== null) {
    const account = scored.find((a) => a.id === forcedId);
    if (account === undefined) {
      return withRanking(
        {
          kind: "none" as const,
          reason: "unknown-account" as const,
          message: `No account with id ${forcedId} is in the pool.`,
          pin: null,
        },
        scored,
      );
    }
    return withRanking(
      { kind: "forced" as const, account, pin: null, warning: forcedWarning(account) },
      scored,
    );
  }

  const pin = input.pin ? judgePin(input.pin, scored, nowMs) : null;
  if (pin?.kept) {
    const account = scored.find((a) => a.id === pin.accountId) as ScoredAccount;
    return withRanking({ kind: "pinned" as const, account, pin, warning: null }, scored);
  }

  const best = bestWhere(scored, (a) => a.available);
  if (best !== undefined)
    return withRanking({ kind: "selected" as const, account: best, pin, warning: null }, scored);

  if (scored.length === 0) {
    return withRanking(
      { kind: "none" as const, reason: "empty-pool" as const, message: "The pool has no accounts.", pin },
      scored,
    );
  }
  // Waiting only helps when some account can recover by itself; a lost login needs the user.
  if (scored.every((a) => a.needsLogin)) {
    return withRanking(
      {
        kind: "none" as const,
        reason: "needs-login" as const,
        message: "Every account in the pool needs a fresh login.",
        pin,
      },
      scored,
    );
  }
  if (input.wait) return withRanking({ kind: "wait" as const, wakeAtMs: wakeAt(scored, nowMs), pin }, scored);

  const fallback = bestWhere(scored, (a) => a.exhausted && !a.rateLimited && !a.needsLogin);
  if (fallback !== undefined) {
    const warning = exhaustedWarning(fallback, "Every account is exhausted");
    return withRanking({ kind: "fallback" as const, account: fallback, pin, warning }, scored);
  }
  return withRanking(
    {
      kind: "none" as const,
      reason: "no-fallback" as const,
      message: "Every account is exhausted, and each one is rate-limited or needs a fresh login.",
      pin,
    },
    scored,
  );
}
