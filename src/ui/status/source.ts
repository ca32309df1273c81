// Binds the dashboard to a real pool: reads the model, pins, samples.
import { accountsToSample, buildStatusModel, sampleDue, togglePin } from "../../app/status.ts";
import type { Env } from "../../env.ts";
import type { Db } from "../../store/db.ts";
import type { DashboardSource } from "./terminal.ts";
import { safeText } from "../safe-text.ts";

export interface StatusSourceOptions {
  cwd: string;
  live: boolean;
  now?: () => number;
}

export interface StatusDashboardSource extends DashboardSource {
  /** The account the `l` key asked to log in again, cleared by reading it. */
  takeLoginRequest(): number | null;
}

export function statusSource(env: Env, db: Db, options: StatusSourceOptions): StatusDashboardSource {
  const now = options.now ?? Date.now;
  let loginRequest: number | null = null;
  return {
    requestLogin(accountId) {
      loginRequest = accountId;
    },
    takeLoginRequest() {
      const id = loginRequest;
      loginRequest = null;
      return id;
    },
    load: (nowMs) => buildStatusModel(db, nowMs, options.cwd),
    pin(accountId, model, nowMs) {
      const account = model.accounts.find((a) => a.id === accountId);
      const holds = model.pin?.accountId === accountId && model.pin.kept;
      const result = togglePin(db, options.cwd, accountId, nowMs, holds);
      const name = account?.name ?? `account ${accountId}`;
      return result.kind === "pinned"
        ? `Pinned ${safeText(options.cwd)} to ${safeText(name)}`
        : `Unpinned ${safeText(options.cwd)} (was ${safeText(name)})`;
    },
    due: (nowMs) => accountsToSample(db, nowMs, { live: options.live }).length,
    async sample(force, signal) {
      const results = await sampleDue(env, db, { live: options.live, force, now, signal });
      const failed = results.filter((r) => r.status !== "ok").length;
      const count = `${results.length} account${results.length === 1 ? "" : "s"}`;
      return failed === 0 ? `Sampled ${count}` : `Sampled ${count}: ${failed} failed (see the detail pane)`;
    },
  };
}
