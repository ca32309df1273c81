import { describe, expect, test } from "bun:test";
import { NO_CREDENTIAL, type PollResult } from "../../src/app/sample.ts";
import { outcomeOf, pollWithLadder } from "../../src/daemon/poll.ts";
import type { RefreshOutcome } from "../../src/usage/refresh.ts";

function result(status: PollResult["status"], extra: Partial<PollResult> = {}): PollResult {
  return {
    accountId: 1,
    takenAtMs: 0,
    status,
    snapshot: null,
    error: status === "ok" ? null : "failed",
    retryAfterMs: null,
    authFailure: status === "unauthorized",
    networkFailure: false,
    requested: true,
    ...extra,
  };
}

/** Answers polls from a script and counts what the ladder asked for. */
function steps(
  answers: PollResult[],
  idle: boolean,
  refresh: RefreshOutcome = { status: "rotated", newExpiresAtMs: 1 },
) {
  const calls = { poll: 0, isIdle: 0, refresh: 0 };
  return {
    calls,
    deps: {
      poll: async () => answers[calls.poll++] ?? result("ok"),
      isIdle: async () => {
        calls.isIdle++;
        return idle;
      },
      refresh: async () => {
        calls.refresh++;
        return refresh;
      },
    },
  };
}

describe("the 401 ladder", () => {
  test("a clean first answer is the whole story", async () => {
    const s = steps([result("ok")], true);
    const r = await pollWithLadder(s.deps);
    expect(r.steps).toEqual(["poll"]);
    expect(s.calls).toEqual({ poll: 1, isIdle: 0, refresh: 0 });
  });

  test("a rotated credential recovers on the re-read, without a refresh", async () => {
    const s = steps([result("unauthorized"), result("ok")], true);
    const r = await pollWithLadder(s.deps);
    expect(r.result.status).toBe("ok");
    expect(r.steps).toEqual(["poll", "reread"]);
    expect(s.calls.refresh).toBe(0);
  });

  test("an idle account is refreshed once and retried", async () => {
    const s = steps([result("unauthorized"), result("unauthorized"), result("ok")], true);
    const r = await pollWithLadder(s.deps);
    expect(r.result.status).toBe("ok");
    expect(r.steps).toEqual(["poll", "reread", "refresh", "retry"]);
    expect(s.calls).toEqual({ poll: 3, isIdle: 1, refresh: 1 });
  });

  test("an account with a live session is never refreshed", async () => {
    const s = steps([result("unauthorized"), result("unauthorized")], false);
    const r = await pollWithLadder(s.deps);
    expect(r.result.status).toBe("unauthorized");
    expect(r.steps).toEqual(["poll", "reread", "busy"]);
    expect(s.calls.refresh).toBe(0);
  });

  test("a refused refresh ends the ladder with the rejection", async () => {
    const s = steps([result("unauthorized"), result("unauthorized")], true, {
      status: "needs-login",
      reason: "invalid-grant",
    });
    const r = await pollWithLadder(s.deps);
    expect(r.result.status).toBe("unauthorized");
    expect(r.refresh).toEqual({ status: "needs-login", reason: "invalid-grant" });
    expect(s.calls.poll).toBe(2);
  });

  test("a rotation by someone else during the refresh still earns the retry", async () => {
    const s = steps([result("unauthorized"), result("unauthorized"), result("ok")], true, {
      status: "skipped-fresh",
      reason: "rotated-elsewhere",
    });
    expect((await pollWithLadder(s.deps)).result.status).toBe("ok");
  });

  test("no stored login and other failures do not climb the ladder", async () => {
    for (const first of [
      result("unauthorized", { error: NO_CREDENTIAL }),
      result("rate_limited"),
      result("error", { networkFailure: true }),
    ]) {
      const s = steps([first], true);
      expect((await pollWithLadder(s.deps)).steps).toEqual(["poll"]);
      expect(s.calls.poll).toBe(1);
    }
  });
});

test("outcomeOf maps poll results to the schedule's outcomes", () => {
  expect(outcomeOf(result("ok"))).toEqual({ kind: "ok" });
  expect(outcomeOf(result("rate_limited", { retryAfterMs: 5000 }))).toEqual({
    kind: "rate-limited",
    retryAfterMs: 5000,
  });
  expect(outcomeOf(result("unauthorized"))).toEqual({ kind: "unauthorized" });
  expect(outcomeOf(result("unauthorized", { error: NO_CREDENTIAL }))).toEqual({ kind: "no-credential" });
  expect(outcomeOf(result("error", { networkFailure: true }))).toEqual({ kind: "network" });
  expect(outcomeOf(result("error"))).toEqual({ kind: "error" });
});
