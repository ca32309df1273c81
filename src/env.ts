// The only module that reads process.env. Everything else receives an `Env`.
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { parseDurationMs } from "./duration.ts";
import { CcpError } from "./errors.ts";

export type SecretStoreKind = "keychain" | "file";

export interface Env {
  home: string;
  /** `~/.claude`: cc-pool only creates missing shared dirs there and merges accounts' real ones in. */
  claudeDir: string;
  /** `~/.claude.json`: cc-pool writes back only shareable settings, never identity (claude-json.ts). */
  claudeJson: string;
  ccpHome: string;
  accountsDir: string;
  dbPath: string;
  usageUrl: string;
  tokenUrl: string;
  profileUrl: string;
  claudeBin: string | undefined;
  secretStore: SecretStoreKind;
  securityLib: string | undefined;
  coreFoundationLib: string | undefined;
  securityBin: string;
  /** CCP_ACCOUNT: id or name to force for `run`. */
  forcedAccount: string | undefined;
  pollIntervalMs: number | undefined;
  /** CCP_DAEMON_AUTOSTART=0 stops select/run/init/add from starting the daemon on their own. */
  daemonAutostart: boolean;
  /** CCP_NOTIFY=0 turns the daemon's desktop notifications off. */
  notify: boolean;
  /** CCP_CONTINUE: what `ccp run` does when a session ends on an exhausted account. */
  continueMode: "ask" | "auto" | "off";
  /** User name for the Keychain account attribute. */
  user: string;
  shell: string | undefined;
  path: string;
  debug: boolean;
  noColor: boolean;
  /** The raw variables, for building a child's environment. */
  raw: Record<string, string | undefined>;
}

const DEFAULT_USAGE_URL = "https://api.anthropic.com/api/oauth/usage";
const DEFAULT_PROFILE_URL = "https://api.anthropic.com/api/oauth/profile";
const DEFAULT_TOKEN_URL = "https://platform.claude.com/v1/oauth/token";

const absolutePath = (name: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.check((s) => s.startsWith("/"), `${name} must be an absolute path`),
    ),
  );
const httpUrl = (name: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.check((s) => /^https?:\/\/[^\s/]+/.test(s), `${name} must be an http(s) URL`),
    ),
  );

const EnvSchema = v.object({
  HOME: absolutePath("HOME"),
  CCP_HOME: absolutePath("CCP_HOME"),
  CCP_USAGE_URL: httpUrl("CCP_USAGE_URL"),
  CCP_PROFILE_URL: httpUrl("CCP_PROFILE_URL"),
  CCP_TOKEN_URL: httpUrl("CCP_TOKEN_URL"),
  CCP_CLAUDE_BIN: absolutePath("CCP_CLAUDE_BIN"),
  CCP_SECRET_STORE: v.optional(v.picklist(["keychain", "file"], "CCP_SECRET_STORE must be keychain or file")),
  CCP_SECURITY_LIB: absolutePath("CCP_SECURITY_LIB"),
  CCP_COREFOUNDATION_LIB: absolutePath("CCP_COREFOUNDATION_LIB"),
  CCP_SECURITY_BIN: absolutePath("CCP_SECURITY_BIN"),
  CCP_ACCOUNT: v.optional(v.pipe(v.string(), v.trim())),
  CCP_CONTINUE: v.optional(v.picklist(["ask", "auto", "off"], "CCP_CONTINUE must be ask, auto or off")),
  CCP_POLL_INTERVAL: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (s) => (parseDurationMs(s) ?? 0) >= 500,
        "CCP_POLL_INTERVAL must be a duration of at least 500ms",
      ),
    ),
  ),
});

function userName(raw: Record<string, string | undefined>): string {
  if (raw.USER) return raw.USER;
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}

/** Reads and validates the environment. Throws a `bad-env` CcpError naming the variable. */
export function loadEnv(raw: Record<string, string | undefined> = process.env): Env {
  // Empty strings mean "unset" for every optional variable (`CCP_ACCOUNT= ccp run` picks as usual).
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(EnvSchema.entries)) {
    const value = raw[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const parsed = v.safeParse(EnvSchema, input);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = issue.path?.[0]?.key;
    throw new CcpError(
      "bad-env",
      `Invalid environment: ${issue.message}${key ? ` (got ${JSON.stringify(raw[String(key)])})` : ""}.`,
      {
        hint: key ? `Fix or unset ${String(key)} and try again.` : undefined,
      },
    );
  }
  const e = parsed.output;
  const home = e.HOME ?? homedir();
  const ccpHome = e.CCP_HOME ?? join(home, ".cc-pool");
  return {
    home,
    claudeDir: join(home, ".claude"),
    claudeJson: join(home, ".claude.json"),
    ccpHome,
    accountsDir: join(ccpHome, "accounts"),
    dbPath: join(ccpHome, "pool.db"),
    usageUrl: e.CCP_USAGE_URL ?? DEFAULT_USAGE_URL,
    profileUrl: e.CCP_PROFILE_URL ?? DEFAULT_PROFILE_URL,
    tokenUrl: e.CCP_TOKEN_URL ?? DEFAULT_TOKEN_URL,
    claudeBin: e.CCP_CLAUDE_BIN,
    secretStore: e.CCP_SECRET_STORE ?? (process.platform === "darwin" ? "keychain" : "file"),
    securityLib: e.CCP_SECURITY_LIB,
    coreFoundationLib: e.CCP_COREFOUNDATION_LIB,
    securityBin: e.CCP_SECURITY_BIN ?? "/usr/bin/security",
    forcedAccount: e.CCP_ACCOUNT === "" ? undefined : e.CCP_ACCOUNT,
    pollIntervalMs: e.CCP_POLL_INTERVAL === undefined ? undefined : parseDurationMs(e.CCP_POLL_INTERVAL),
    daemonAutostart: !["0", "false", "no", "off"].includes((raw.CCP_DAEMON_AUTOSTART ?? "").toLowerCase()),
    notify: !["0", "false", "no", "off"].includes((raw.CCP_NOTIFY ?? "").toLowerCase()),
    continueMode: e.CCP_CONTINUE ?? "ask",
    user: userName(raw),
    shell: raw.SHELL || undefined,
    path: raw.PATH ?? "",
    debug: raw.DEBUG === "1" || raw.DEBUG === "true" || raw.CCP_DEBUG === "1",
    noColor: raw.NO_COLOR !== undefined && raw.NO_COLOR !== "",
    raw,
  };
}

let cached: Env | undefined;

/** The process environment, validated once. */
export function env(): Env {
  cached ??= loadEnv(process.env);
  return cached;
}
