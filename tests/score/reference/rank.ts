// The score as it was before it was rewritten for the interpreter (inlined windows, terms and
// pick), kept unchanged as the oracle tests/score/oracle.test.ts compares the live code against.
// Do not edit: a difference between the two is a bug in src/score.
import { scoreAccount } from "./score-account.ts";
import type { AccountState, ScoredAccount } from "../../../src/score/types.ts";

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
