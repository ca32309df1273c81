// `ccp login <id|name>`: log an existing account in again, in place. First the chain is checked
// (a login that still works only needs its flag cleared); otherwise `claude auth login --email`
// runs in the account's own dir, and the account is sampled the moment the new login lands.
// Plain ~/.claude is refused: cc-pool never logs it in or out.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { resolve } from "node:path";
import type { Env } from "../env.ts";
import { CcpError, usageError } from "../errors.ts";
import { readAccountIdentity } from "../overlay/identity.ts";
import type { CredentialStore } from "../secrets/types.ts";
import { type AccountRow, resolveAccount } from "../store/accounts.ts";
import { type Db, writeTx } from "../store/db.ts";
import { updateHealth } from "../store/health.ts";
import { refreshIdentity } from "./accounts.ts";
import { findClaude } from "./claude-bin.ts";
import { EXIT_BY_SIGNAL, restoreTerminal, stopChild } from "./login.ts";
import { type PollResult, pollAccount, recordPoll } from "./sample.ts";
import { LIVE_SAMPLE_TIMEOUT_MS } from "./select.ts";

const POLL_MS = 250;

export type ReloginResult =
  /** The stored login still answers: only the flag was cleared. */
  | { kind: "still-works"; account: AccountRow; poll: PollResult }
  | { kind: "logged-in"; account: AccountRow; email: string | null; poll: PollResult; switched: boolean };

export interface ReloginOptions {
  /** Log in again even when the stored login still works. */
  force: boolean;
  /** Called before claude takes over the terminal. */
  onStart?: (command: string) => void;
  /** Called after the live check when the stored login is no longer usable. */
  onCheck?: (poll: PollResult) => void;
}

/** True when `ref` names plain ~/.claude (its path, `~/.claude`) rather than a pool account. */
export function namesBase(env: Env, ref: string): boolean {
  const trimmed = ref.trim();
  if (!trimmed.includes("/") && !trimmed.startsWith("~")) return false;
  const expanded = trimmed.startsWith("~") ? `${env.home || homedir()}${trimmed.slice(1)}` : trimmed;
  return resolve(expanded).replace(/\/+$/, "") === resolve(env.claudeDir).replace(/\/+$/, "");
}

export function baseRefused(): CcpError {
  return usageError(
    "~/.claude is plain claude's own login, not a pool account: cc-pool never logs it in or out.",
    "Use `command claude` and its /login to change it yourself; `ccp list` shows the pool's accounts.",
  );
}

/** A digest of the stored login, to notice that a new one landed; never printed or stored. */
async function loginFingerprint(store: CredentialStore, configDir: string): Promise<string | null> {
  try {
    const oauth = (await store.read(configDir))?.claudeAiOauth;
    if (!oauth?.accessToken) return null;
    return createHash("sha256")
      .update(`${oauth.accessToken}\u0000${oauth.refreshToken ?? ""}`)
      .digest("hex");
  } catch {
    return null;
  }
}

/** Resolves the account, refusing the base; for the command and the dashboard alike. */
export function accountToRelogin(env: Env, db: Db, ref: string): AccountRow {
  if (namesBase(env, ref)) throw baseRefused();
  const account = resolveAccount(db, ref);
  if (resolve(account.configDir) === resolve(env.claudeDir)) throw baseRefused();
  return account;
}

function record(db: Db, poll: PollResult): void {
  writeTx(db, () => recordPoll(db, poll));
}

export async function reloginAccount(
  env: Env,
  db: Db,
  account: AccountRow,
  options: ReloginOptions,
): Promise<ReloginResult> {
  const { createCredentialStore } = await import("../secrets/index.ts");
  const store = createCredentialStore(env);
  if (!options.force) {
    const check = await pollAccount(env, store, account, { timeoutMs: LIVE_SAMPLE_TIMEOUT_MS });
    if (check.status === "ok") {
      record(db, check);
      return { kind: "still-works", account, poll: check };
    }
    options.onCheck?.(check);
  }

  const claudeBin = findClaude(env);
  const before = await loginFingerprint(store, account.configDir);
  const args = ["auth", "login", ...(account.email ? ["--email", account.email] : [])];
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env.raw))
    if (v !== undefined && k !== "CLAUDE_CONFIG_DIR") childEnv[k] = v;
  childEnv.CLAUDE_CONFIG_DIR = account.configDir;
  options.onStart?.(`CLAUDE_CONFIG_DIR=${account.configDir} claude ${args.join(" ")}`);
  // claude's own messages ("Login successful.") go to stderr: stdout carries data only.
  const child = Bun.spawn([claudeBin, ...args], { env: childEnv, stdio: ["inherit", 2, "inherit"] });
  let cancelled = false;
  let terminatedBy: "SIGTERM" | "SIGHUP" | undefined;
  const onInt = (): void => {
    cancelled = true;
  };
  // The terminal closing (SIGHUP) or a kill (SIGTERM): stop and reap the login claude ourselves.
  const onTerm = (): void => {
    terminatedBy = "SIGTERM";
  };
  const onHup = (): void => {
    terminatedBy = "SIGHUP";
  };
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onHup);
  let landed = false;
  try {
    for (;;) {
      const now = await loginFingerprint(store, account.configDir);
      // The identity lands before the credential: done only once the new credential is stored.
      if (now !== null && now !== before && readAccountIdentity(account.configDir)) {
        landed = true;
        break;
      }
      if (cancelled || terminatedBy || child.exitCode !== null || child.signalCode !== null) break;
      await Bun.sleep(POLL_MS);
    }
    await stopChild(child);
    restoreTerminal();
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    process.off("SIGHUP", onHup);
    await stopChild(child);
  }
  if (terminatedBy) {
    // A login that landed is stored in the account's own dir either way; only say how it ended.
    if (landed)
      writeTx(db, () => updateHealth(db, account.id, Date.now(), { needsLogin: false, lastError: null }));
    throw new CcpError("cancelled", `ccp login was ended by ${terminatedBy}.`, {
      exitCode: EXIT_BY_SIGNAL[terminatedBy],
    });
  }
  if (!landed) {
    if (cancelled || child.signalCode === "SIGINT" || child.exitCode === 130) {
      throw new CcpError("cancelled", `Login cancelled; ${account.name}'s stored login is unchanged.`);
    }
    throw new CcpError(
      "failure",
      `The login ended without a new login for ${account.name} (claude exited with ${child.exitCode ?? child.signalCode}).`,
      { hint: `Run \`ccp login ${account.id}\` again and finish the login in your browser.` },
    );
  }

  const identity = readAccountIdentity(account.configDir);
  const switched =
    account.accountUuid !== null && identity !== undefined && identity.accountUuid !== account.accountUuid;
  const poll = await pollAccount(env, store, account, { timeoutMs: LIVE_SAMPLE_TIMEOUT_MS });
  writeTx(db, () => {
    refreshIdentity(db, account);
    updateHealth(db, account.id, Date.now(), {
      needsLogin: false,
      refreshFailed: false,
      consecutiveAuthFailures: 0,
      backoffStep: 0,
      nextPollAtMs: null,
      lastError: null,
    });
    recordPoll(db, poll);
  });
  return { kind: "logged-in", account, email: identity?.email ?? null, poll, switched };
}
