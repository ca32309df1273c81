import type { Subprocess } from "bun";
import type { Env } from "../env.ts";
import { CcpError } from "../errors.ts";
import { type AccountIdentity, readAccountIdentity } from "../overlay/identity.ts";

const POLL_MS = 250;
const TERM_GRACE_MS = 2000;
/** The identity lands 6–65 ms before the credential: wait this long for the credential too. */
const CREDENTIAL_WAIT_MS = 10_000;

/** `ccp add` was ended by SIGTERM/SIGHUP (the terminal closed) while a login ran. */
export class LoginTerminated extends Error {
  constructor(
    readonly signal: "SIGTERM" | "SIGHUP",
    /** The login had completed (identity and credential stored) before the login claude was stopped. */
    readonly identity: AccountIdentity | undefined,
  ) {
    super(`ccp add was ended by ${signal}`);
  }
}

export const EXIT_BY_SIGNAL: Record<"SIGTERM" | "SIGHUP", number> = { SIGTERM: 143, SIGHUP: 129 };

async function credentialStored(env: Env, configDir: string): Promise<boolean> {
  try {
    const { createCredentialStore } = await import("../secrets/index.ts");
    return await createCredentialStore(env).exists(configDir);
  } catch {
    return false;
  }
}

/** The command a person runs to log an account in by hand (shown in "another terminal" mode). */
export function loginCommand(claudeBin: string, configDir: string): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
  return `CLAUDE_CONFIG_DIR=${q(configDir)} ${q(claudeBin)} auth login`;
}

function childEnv(env: Env, configDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env.raw)) if (v !== undefined && k !== "CLAUDE_CONFIG_DIR") out[k] = v;
  out.CLAUDE_CONFIG_DIR = configDir;
  return out;
}

/** Undo what an interrupted full-screen program may have left: alternate screen, hidden cursor, raw mode. */
export function restoreTerminal(): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write("\u001B[?1049l\u001B[?25h\u001B[?2004l\u001B[?1l\u001B[0m");
  if (process.stdin.isTTY)
    Bun.spawnSync(["stty", "sane"], { stdin: "inherit", stdout: "ignore", stderr: "ignore" });
}

export async function stopChild(child: Subprocess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  // A timer that is cleared, not Bun.sleep: a pending sleep would keep ccp alive for the whole grace.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = await Promise.race([
    child.exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), TERM_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!done) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

/** Resolves when the account's own `.claude.json` has an identity, or rejects on cancel. */
async function waitForIdentity(
  configDir: string,
  stop: { cancelled: boolean; childDone?: () => boolean },
): Promise<AccountIdentity | undefined> {
  for (;;) {
    const identity = readAccountIdentity(configDir);
    if (identity) return identity;
    if (stop.cancelled || stop.childDone?.()) return readAccountIdentity(configDir);
    await Bun.sleep(POLL_MS);
  }
}

function onInterrupt(handler: () => void): () => void {
  process.on("SIGINT", handler);
  return () => process.off("SIGINT", handler);
}

/** SIGTERM/SIGHUP while a login runs: noted, so the login claude is stopped and reaped by us. */
function onTermination(handler: (signal: "SIGTERM" | "SIGHUP") => void): () => void {
  const term = (): void => handler("SIGTERM");
  const hup = (): void => handler("SIGHUP");
  process.on("SIGTERM", term);
  process.on("SIGHUP", hup);
  return () => {
    process.off("SIGTERM", term);
    process.off("SIGHUP", hup);
  };
}

/**
 * Runs `claude auth login` for the account dir with the terminal handed over. Login is finished
 * when the account's `.claude.json` gains `oauthAccount.accountUuid`; the login claude is then
 * closed (TERM, grace, KILL) and the terminal restored.
 */
export async function loginHere(env: Env, claudeBin: string, configDir: string): Promise<AccountIdentity> {
  const stop = { cancelled: false, childDone: undefined as (() => boolean) | undefined };
  let terminatedBy: "SIGTERM" | "SIGHUP" | undefined;
  const child = Bun.spawn([claudeBin, "auth", "login"], {
    env: childEnv(env, configDir),
    // claude's own stdout ("Login successful.") goes to stderr: ccp's stdout carries data only.
    stdio: ["inherit", 2, "inherit"],
  });
  stop.childDone = () => child.exitCode !== null || child.signalCode !== null;
  // Ctrl-C reaches claude through the terminal too; we only note it and keep cleaning up.
  const release = onInterrupt(() => {
    stop.cancelled = true;
  });
  const releaseTerm = onTermination((signal) => {
    terminatedBy = signal;
    stop.cancelled = true;
  });
  try {
    let identity = await waitForIdentity(configDir, stop);
    if (identity) {
      // Do not stop the login claude between writing the identity and writing the credential.
      const deadline = Date.now() + CREDENTIAL_WAIT_MS;
      while (!(await credentialStored(env, configDir)) && !stop.childDone() && Date.now() < deadline)
        await Bun.sleep(50);
    }
    await stopChild(child);
    restoreTerminal();
    if (terminatedBy) {
      // One decision, after the login claude is gone: a complete login is kept, anything else
      // is removed by the caller.
      identity = readAccountIdentity(configDir);
      const complete = identity !== undefined && (await credentialStored(env, configDir));
      throw new LoginTerminated(terminatedBy, complete ? identity : undefined);
    }
    if (identity) return identity;
    if (stop.cancelled || child.signalCode === "SIGINT" || child.exitCode === 130) {
      throw new CcpError("cancelled", "Login cancelled; the account was not added.");
    }
    throw new CcpError(
      "failure",
      `The login ended without signing in (claude exited with ${child.exitCode ?? child.signalCode}).`,
      {
        hint: "Run `ccp add` again and finish the login in your browser.",
      },
    );
  } finally {
    release();
    releaseTerm();
    await stopChild(child);
  }
}

/** Waits while the person logs in from another terminal; Ctrl-C cancels. */
export async function waitForLoginElsewhere(configDir: string): Promise<AccountIdentity> {
  const stop = { cancelled: false };
  const release = onInterrupt(() => {
    stop.cancelled = true;
  });
  try {
    const identity = await waitForIdentity(configDir, stop);
    if (!identity) throw new CcpError("cancelled", "Login cancelled; the account was not added.");
    return identity;
  } finally {
    release();
  }
}
