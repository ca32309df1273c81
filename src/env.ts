// The only module that reads process.env. Everything else receives an `Env`.
import { join } from "./fs/posix-path.ts";
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

/**
 * One rule per variable, checked in this order (the first failure is the one reported). Plain
 * checks rather than a schema library: env() runs on every command, the hot path included.
 */
const RULES: ReadonlyArray<readonly [key: string, ok: (value: string) => boolean, message: string]> = [
  ["HOME", isAbsolute, "HOME must be an absolute path"],
  ["CCP_HOME", isAbsolute, "CCP_HOME must be an absolute path"],
  ["CCP_USAGE_URL", isHttpUrl, "CCP_USAGE_URL must be an http(s) URL"],
  ["CCP_PROFILE_URL", isHttpUrl, "CCP_PROFILE_URL must be an http(s) URL"],
  ["CCP_TOKEN_URL", isHttpUrl, "CCP_TOKEN_URL must be an http(s) URL"],
  ["CCP_CLAUDE_BIN", isAbsolute, "CCP_CLAUDE_BIN must be an absolute path"],
  ["CCP_SECRET_STORE", (s) => s === "keychain" || s === "file", "CCP_SECRET_STORE must be keychain or file"],
  ["CCP_SECURITY_LIB", isAbsolute, "CCP_SECURITY_LIB must be an absolute path"],
  ["CCP_COREFOUNDATION_LIB", isAbsolute, "CCP_COREFOUNDATION_LIB must be an absolute path"],
  ["CCP_SECURITY_BIN", isAbsolute, "CCP_SECURITY_BIN must be an absolute path"],
  [
    "CCP_CONTINUE",
    (s) => s === "ask" || s === "auto" || s === "off",
    "CCP_CONTINUE must be ask, auto or off",
  ],
  [
    "CCP_POLL_INTERVAL",
    (s) => (parseDurationMs(s) ?? 0) >= 500,
    "CCP_POLL_INTERVAL must be a duration of at least 500ms",
  ],
];

function isAbsolute(s: string): boolean {
  return s.startsWith("/");
}

/** `http(s)://` and a host: the first character after the scheme is neither `/` nor a space. */
function isHttpUrl(s: string): boolean {
  const scheme = s.startsWith("https://") ? 8 : s.startsWith("http://") ? 7 : 0;
  const first = scheme === 0 ? "" : s.charAt(scheme);
  return first !== "" && first !== "/" && first.trim() !== "";
}

/** node:os, loaded only when HOME is unset or the user name is needed (it costs every command). */
function os(): typeof import("node:os") {
  return require("node:os") as typeof import("node:os");
}

function userName(raw: Record<string, string | undefined>): string {
  if (raw.USER) return raw.USER;
  try {
    return os().userInfo().username;
  } catch {
    return "";
  }
}

/** Reads and validates the environment. Throws a `bad-env` CcpError naming the variable. */
export function loadEnv(raw: Record<string, string | undefined> = process.env): Env {
  // Empty strings mean "unset" for every optional variable (`CCP_ACCOUNT= ccp run` picks as usual).
  const e: Record<string, string | undefined> = {};
  for (const [key, ok, message] of RULES) {
    const value = raw[key];
    if (value === undefined || value === "") continue;
    if (!ok(value)) {
      throw new CcpError("bad-env", `Invalid environment: ${message} (got ${JSON.stringify(value)}).`, {
        hint: `Fix or unset ${key} and try again.`,
      });
    }
    e[key] = value;
  }
  const home = e.HOME ?? os().homedir();
  const ccpHome = e.CCP_HOME ?? join(home, ".cc-pool");
  let user: string | undefined;
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
    secretStore:
      (e.CCP_SECRET_STORE as SecretStoreKind | undefined) ??
      (process.platform === "darwin" ? "keychain" : "file"),
    securityLib: e.CCP_SECURITY_LIB,
    coreFoundationLib: e.CCP_COREFOUNDATION_LIB,
    securityBin: e.CCP_SECURITY_BIN ?? "/usr/bin/security",
    forcedAccount: raw.CCP_ACCOUNT?.trim() || undefined,
    pollIntervalMs: e.CCP_POLL_INTERVAL === undefined ? undefined : parseDurationMs(e.CCP_POLL_INTERVAL),
    daemonAutostart: !["0", "false", "no", "off"].includes((raw.CCP_DAEMON_AUTOSTART ?? "").toLowerCase()),
    notify: !["0", "false", "no", "off"].includes((raw.CCP_NOTIFY ?? "").toLowerCase()),
    continueMode: (e.CCP_CONTINUE as Env["continueMode"] | undefined) ?? "ask",
    // Looked up on first use: userInfo() reads the user database, and only the Keychain needs it.
    get user(): string {
      user ??= userName(raw);
      return user;
    },
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
