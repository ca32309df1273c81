import { scoreAccount } from "./score-account.ts";
import type { AccountState, ScoredAccount } from "./types.ts";

/** Higher score first; ties go to the earliest 5h reset (unknown last), then the lowest id. */
export function compareScored(a: ScoredAccount, b: ScoredAccount): number {
  if (a.score !== b.score) return b.score - a.score;
  const resetA = a.reset5AtMs ?? Number.POSITIVE_INFINITY;
  const resetB = b.reset5AtMs ?? Number.POSITIVE_INFINITY;
  if (resetA !== resetB) return resetA < resetB ? -1 : 1;
  return a.id - b.id;
}

/** Sorts already-scored accounts into a new array. */
export function rankScored(scored: readonly ScoredAccount[]): ScoredAccount[] {
  return [...scored].sort(compareScored);
}

export function rankAccounts(accounts: readonly AccountState[], nowMs: number): ScoredAccount[] {
  return rankScored(accounts.map((account) => scoreAccount(account, nowMs)));
}
