import { PIN_MIN_RAW5_PCT, PIN_TTL_MS, WAIT_RECHECK_MS } from "./constants.ts";
import { rankAccounts } from "./rank.ts";
import type { DecideInput, Decision, PinState, PinVerdict, ScoredAccount } from "./types.ts";

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

/**
 * Chooses the account for a launch: a forced id wins, then a live pin, then the best available
 * account; with nothing available it waits (when asked), falls back to the best exhausted account
 * that can still serve, or reports that nothing can.
 */
export function decide(input: DecideInput): Decision {
  const { nowMs } = input;
  const ranked = rankAccounts(input.accounts, nowMs);

  const forcedId = input.forcedId ?? null;
  if (forcedId !== null) {
    const account = ranked.find((a) => a.id === forcedId);
    if (account === undefined) {
      return {
        kind: "none",
        reason: "unknown-account",
        message: `No account with id ${forcedId} is in the pool.`,
        ranked,
        pin: null,
      };
    }
    return { kind: "forced", account, ranked, pin: null, warning: forcedWarning(account) };
  }

  const pin = input.pin ? judgePin(input.pin, ranked, nowMs) : null;
  if (pin?.kept) {
    const account = ranked.find((a) => a.id === pin.accountId) as ScoredAccount;
    return { kind: "pinned", account, ranked, pin, warning: null };
  }

  const best = ranked.find((a) => a.available);
  if (best !== undefined) return { kind: "selected", account: best, ranked, pin, warning: null };

  if (ranked.length === 0) {
    return { kind: "none", reason: "empty-pool", message: "The pool has no accounts.", ranked, pin };
  }
  // Waiting only helps when some account can recover by itself; a lost login needs the user.
  if (ranked.every((a) => a.needsLogin)) {
    return {
      kind: "none",
      reason: "needs-login",
      message: "Every account in the pool needs a fresh login.",
      ranked,
      pin,
    };
  }
  if (input.wait) return { kind: "wait", wakeAtMs: wakeAt(ranked, nowMs), ranked, pin };

  const fallback = ranked.find((a) => a.exhausted && !a.rateLimited && !a.needsLogin);
  if (fallback !== undefined) {
    const warning = exhaustedWarning(fallback, "Every account is exhausted");
    return { kind: "fallback", account: fallback, ranked, pin, warning };
  }
  return {
    kind: "none",
    reason: "no-fallback",
    message: "Every account is exhausted, and each one is rate-limited or needs a fresh login.",
    ranked,
    pin,
  };
}
