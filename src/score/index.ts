export * from "./constants.ts";
export type * from "./types.ts";
export { burnRate5h } from "./burn-rate.ts";
export { barrierPts, roundScore, runwayPenaltyPts, scoreAccount, scoreTerms } from "./score-account.ts";
export { compareScored, rankAccounts, rankScored } from "./rank.ts";
export { decide, judgePin } from "./decide.ts";
export { forecastAccount } from "./forecast.ts";
