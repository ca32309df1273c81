import type { Picked, Selection } from "../app/select.ts";
import { roundScore, scoreTerms } from "../score/score-account.ts";
import type { ScoredAccount } from "../score/types.ts";
import { renderColumns } from "./table.ts";

function signed(value: number): string {
  const r = roundScore(value);
  return r > 0 ? `+${r.toFixed(1)}` : r.toFixed(1);
}

function flags(a: ScoredAccount): string {
  const out: string[] = [];
  if (a.exhausted) out.push("exhausted");
  if (a.rateLimited) out.push("rate-limited");
  if (a.needsLogin) out.push("needs login");
  if (a.stale) out.push(`stale (${a.staleReason})`);
  return out.join(", ");
}

/** Every account's score, term by term, in rank order; the chosen one marked. */
export function renderExplain(decision: Picked): string {
  const termKeys = decision.ranked[0] ? scoreTerms(decision.ranked[0]).map((t) => t.label) : [];
  const header = ["", "ACCOUNT", "SCORE", ...termKeys, "FLAGS"];
  const rows = decision.ranked.map((a) => [
    a.id === decision.account.id ? "▸" : "",
    a.name,
    roundScore(a.score).toFixed(1),
    ...a.termValues.map((value) => signed(value)),
    flags(a),
  ]);
  const align = header.map((_, i) => (i >= 2 && i < header.length - 1 ? "r" : "l")) as Array<"l" | "r">;
  const lines = renderColumns([header, ...rows], align);
  const pin = decision.pin;
  const pinLine = pin ? (pin.kept ? "pin kept" : `pin broken (${pin.reason})`) : "no pin";
  return [...lines, `decision: ${decision.kind} · ${pinLine}`].join("\n");
}

/** The decision as stable JSON for `ccp select --json`. */
export function decisionJson(selection: Selection): Record<string, unknown> {
  const { decision, account } = selection;
  return {
    kind: decision.kind,
    account: { id: account.id, name: account.name, configDir: account.configDir },
    sessionId: selection.sessionId,
    warning: decision.warning,
    pin: decision.pin,
    ranked: decision.ranked.map((a) => ({
      id: a.id,
      name: a.name,
      score: roundScore(a.score),
      available: a.available,
      exhausted: a.exhausted,
      stale: a.stale,
      rateLimited: a.rateLimited,
      needsLogin: a.needsLogin,
      activeSessions: a.activeSessions,
      util5Pct: a.util5Pct,
      util7Pct: a.util7Pct,
      reset5AtMs: a.reset5AtMs,
      reset7AtMs: a.reset7AtMs,
      terms: Object.fromEntries(scoreTerms(a).map((t) => [t.key, roundScore(t.value)])),
    })),
  };
}
