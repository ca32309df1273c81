// The plain table of `ccp status --plain` (and of piped output), in the layout of the original
// tool: ACCOUNT, SCORE, 5h used, 7d used, LIVE, RESETS, then a legend and the data time.
import type { StatusModel } from "../../app/status.ts";
import { createColors } from "../color.ts";
import type { Clock } from "./clock.ts";
import { NEXT_MARK, flagsOf, flagsText, pctCell, resetText, scoreText } from "./parts.ts";
import { padEnd, padStart } from "./text.ts";
import { terminalSafeModel } from "../safe-text.ts";

export const EMPTY_POOL_TEXT = "The pool is empty. Run `ccp add` to add your first subscription.";
export const LEGEND = `${NEXT_MARK} = next pick · score higher = emptier · 5h/7d = % used`;
const NAME_MIN_WIDTH = 27;

export interface PlainOptions {
  color: boolean;
  clock: Clock;
}

export function renderPlain(untrusted: StatusModel, options: PlainOptions): string {
  const model = terminalSafeModel(untrusted);
  const { clock } = options;
  const c = createColors(options.color);
  const now = model.generatedAtMs;
  if (model.accounts.length === 0) return EMPTY_POOL_TEXT;
  const nameWidth = Math.max(NAME_MIN_WIDTH, ...model.accounts.map((a) => a.name.length));
  const resets = model.accounts.map((a) => resetText(clock, a.reset5AtMs, now, "clock"));
  const flags = model.accounts.map((a) => flagsText(flagsOf(c, a, model), false));
  const anyFlags = flags.some((f) => f !== "");
  const resetWidth = Math.max("RESETS".length, ...resets.map((r) => r.length));

  const line = (
    mark: string,
    name: string,
    score: string,
    u5: string,
    u7: string,
    live: string,
    reset: string,
    flag: string,
  ) => {
    const base = `${mark} ${padEnd(name, nameWidth)} ${padStart(score, 5)}  ${padStart(u5, 7)}  ${padStart(u7, 7)}  ${padStart(live, 4)} `;
    return flag === "" ? `${base}${reset}` : `${base}${padEnd(reset, resetWidth)}  ${flag}`;
  };
  const header = line(
    " ",
    "ACCOUNT",
    "SCORE",
    "5h used",
    "7d used",
    "LIVE",
    "RESETS",
    anyFlags ? "FLAGS" : "",
  );
  const rows = model.accounts.map((a, i) =>
    line(
      a.next ? c.green(NEXT_MARK) : " ",
      a.next ? c.bold(a.name) : a.name,
      scoreText(a),
      pctCell(c, a.util5Pct),
      pctCell(c, a.util7Pct),
      String(a.activeSessions),
      resets[i] as string,
      flags[i] as string,
    ),
  );
  const out = [c.dim(header), ...rows];
  if (model.warning) out.push(c.yellow(`! ${model.warning}`));
  out.push(
    c.dim(LEGEND),
    c.dim(model.dataAtMs === null ? "no usage data yet" : `updated ${clock.time(model.dataAtMs)}`),
  );
  return out.join("\n");
}
