// After a live sample, say which accounts still show old data and how old: a timeout or a failed
// poll must never pass for fresh numbers.
import type { PollResult } from "../../app/sample.ts";
import type { StatusModel } from "../../app/status.ts";
import { formatAge } from "../../duration.ts";

export function staleNotes(results: readonly PollResult[], model: StatusModel, nowMs: number): string[] {
  const notes: string[] = [];
  for (const r of results) {
    if (r.status === "ok") continue;
    const account = model.accounts.find((a) => a.id === r.accountId);
    if (!account) continue;
    const why = r.error ?? r.status.replace("_", "-");
    const shown =
      account.sampledAtMs === null
        ? "it has no usage data yet"
        : `showing data from ${formatAge(nowMs - account.sampledAtMs)} ago`;
    notes.push(`${account.name}: the live sample failed (${why}); ${shown}.`);
  }
  return notes;
}
