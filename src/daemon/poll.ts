// One daemon poll of one account, with the 401 ladder: a rejected token is first re-read (a
// session may have rotated it) and retried; an idle account is then refreshed once and retried.
// Tokens are read fresh from the store by every attempt and never kept between polls.
import { NO_CREDENTIAL, type PollResult } from "../app/sample.ts";
import type { RefreshOutcome } from "../usage/refresh.ts";
import type { PollOutcome } from "./schedule.ts";

export interface LadderSteps {
  /** Reads the stored credential and polls once. */
  poll(): Promise<PollResult>;
  /** No session runs on the account (checked right before a refresh). */
  isIdle(): Promise<boolean>;
  /** Refreshes the account's token regardless of its expiry (a rotation by someone else wins). */
  refresh(): Promise<RefreshOutcome>;
}

export type LadderStep = "poll" | "reread" | "refresh" | "retry" | "busy";

export interface LadderResult {
  result: PollResult;
  /** What was tried, in order, for the log. */
  steps: LadderStep[];
  refresh: RefreshOutcome | null;
}

function rejected(r: PollResult): boolean {
  return r.status === "unauthorized" && r.error !== NO_CREDENTIAL;
}

export async function pollWithLadder(steps: LadderSteps): Promise<LadderResult> {
  const trail: LadderStep[] = ["poll"];
  let result = await steps.poll();
  if (!rejected(result)) return { result, steps: trail, refresh: null };
  trail.push("reread");
  result = await steps.poll();
  if (!rejected(result)) return { result, steps: trail, refresh: null };
  if (!(await steps.isIdle())) {
    trail.push("busy");
    return { result, steps: trail, refresh: null };
  }
  trail.push("refresh");
  const refresh = await steps.refresh();
  const usable =
    refresh.status === "rotated" ||
    refresh.status === "recovered" ||
    refresh.status === "kept-newer" ||
    (refresh.status === "skipped-fresh" && refresh.reason === "rotated-elsewhere");
  if (!usable) return { result, steps: trail, refresh };
  trail.push("retry");
  result = await steps.poll();
  return { result, steps: trail, refresh };
}

/** The schedule's view of a poll result. */
export function outcomeOf(result: PollResult): PollOutcome {
  switch (result.status) {
    case "ok":
      return { kind: "ok" };
    case "rate_limited":
      return { kind: "rate-limited", retryAfterMs: result.retryAfterMs };
    case "unauthorized":
      return result.error === NO_CREDENTIAL ? { kind: "no-credential" } : { kind: "unauthorized" };
    case "error":
      return result.networkFailure ? { kind: "network" } : { kind: "error" };
  }
}
