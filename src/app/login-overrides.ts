// Every way a session can end up on another login than the selected account's (claude-code.md §6).
// `ccp run` warns about each one (naming its source) before claude starts, removes the one it can
// neutralise without changing what the user asked for, and `ccp doctor` lists the same findings.
import { join } from "../fs/posix-path.ts";
import { readJsonObject } from "../overlay/json-file.ts";
import type { LaunchRecord } from "../overlay/launch-record.ts";
import { signFiles } from "../overlay/launch-record.ts";

export interface LoginOverride {
  /** Where it comes from: `ANTHROPIC_API_KEY`, `settings.json apiKeyHelper`, … */
  source: string;
  /** What it does to a pooled session. */
  effect: string;
  /** `ccp run` removes it from claude's environment (only CLAUDE_SECURESTORAGE_CONFIG_DIR). */
  removed: boolean;
}

/** The variable that moves claude's credential storage to another dir; removed from the child env. */
export const SECURE_STORAGE_VAR = "CLAUDE_SECURESTORAGE_CONFIG_DIR";

const ENV_OVERRIDES: ReadonlyArray<{ name: string; effect: string }> = [
  { name: "ANTHROPIC_API_KEY", effect: "this session will use that API key" },
  { name: "ANTHROPIC_AUTH_TOKEN", effect: "this session will send that bearer token" },
  { name: "CLAUDE_CODE_OAUTH_TOKEN", effect: "this session will use that OAuth token" },
  {
    name: "CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR",
    effect: "this session will use the OAuth token read from that descriptor",
  },
  {
    name: "CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR",
    effect: "this session will use the API key read from that descriptor",
  },
  { name: "ANTHROPIC_PROFILE", effect: "this session will use that profile's login" },
  // ANTHROPIC_ORGANIZATION_ID only matters together with a federation rule, so it is not listed alone.
  {
    name: "ANTHROPIC_FEDERATION_RULE_ID",
    effect: "this session will sign in through workload identity federation",
  },
  { name: "CLAUDE_CODE_USE_BEDROCK", effect: "this session will run on Amazon Bedrock" },
  { name: "CLAUDE_CODE_USE_VERTEX", effect: "this session will run on Google Vertex AI" },
  { name: "CLAUDE_CODE_USE_FOUNDRY", effect: "this session will run on Microsoft Foundry" },
];

/** Token variables a `settings.json` `env` block can set for every session. */
const SETTINGS_ENV_TOKENS = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"];

function set(value: string | undefined): boolean {
  return value !== undefined && value !== "";
}

/** Truthy as Claude Code reads a switch: anything but empty, 0, false, no, off. */
function enabled(value: string | undefined): boolean {
  return set(value) && !/^(0|false|no|off)$/i.test((value as string).trim());
}

/** Bounded, and never opening a FIFO or device (it would hang the launch). */
function readObject(path: string): Record<string, unknown> | undefined {
  const read = readJsonObject(path);
  return read.state === "ok" ? read.value : undefined;
}

export interface OverrideSources {
  /** The environment claude would inherit. */
  env: Record<string, string | undefined>;
  /** The account's config dir (its `settings.json` is the base's, through the overlay). */
  configDir: string;
}

/**
 * Finds every login override that would apply to a session on `configDir`. Reads only the
 * account's own `settings.json` (a link to the base's) and `.claude.json`; never prints a value.
 */
export function findLoginOverrides(sources: OverrideSources): LoginOverride[] {
  return [
    ...environmentOverrides(sources.env),
    ...settingsOverrides(sources.configDir),
    ...accountConfigOverrides(sources.configDir),
  ];
}

/**
 * One file's overrides for a launch: read again only when the file changed since the scan
 * `record` holds (it keeps the findings, which name sources, never values). The file is signed as
 * it is read, through a link (settings.json is the base's).
 */
function recordedScan(
  record: LaunchRecord,
  part: string,
  path: string,
  scan: () => LoginOverride[],
): LoginOverride[] {
  const inputs = [{ path, follow: true }];
  const before = signFiles(inputs);
  const recorded = record.unchanged(part, before)?.data;
  if (isOverrideList(recorded)) return recorded;
  const found = scan();
  record.settle(part, before, signFiles(inputs), found);
  return found;
}

function isOverrideList(value: unknown): value is LoginOverride[] {
  return (
    Array.isArray(value) &&
    value.every(
      (o) =>
        typeof o === "object" &&
        o !== null &&
        typeof o.source === "string" &&
        typeof o.effect === "string" &&
        typeof o.removed === "boolean",
    )
  );
}

/**
 * `findLoginOverrides` for a launch, with each file scanned again only when it changed (claude
 * rewrites the account's `.claude.json` every session; `settings.json` rarely changes).
 */
export function findLoginOverridesForLaunch(sources: OverrideSources, record: LaunchRecord): LoginOverride[] {
  const { configDir } = sources;
  return [
    ...environmentOverrides(sources.env),
    ...recordedScan(record, "login-overrides:settings", join(configDir, "settings.json"), () =>
      settingsOverrides(configDir),
    ),
    ...recordedScan(record, "login-overrides:account", join(configDir, ".claude.json"), () =>
      accountConfigOverrides(configDir),
    ),
  ];
}

/** Overrides set in the environment claude would inherit. */
export function environmentOverrides(env: Record<string, string | undefined>): LoginOverride[] {
  const found: LoginOverride[] = [];
  for (const { name, effect } of ENV_OVERRIDES) {
    const value = env[name];
    const active = name.startsWith("CLAUDE_CODE_USE_") ? enabled(value) : set(value);
    if (active) found.push({ source: name, effect, removed: false });
  }
  if (set(env[SECURE_STORAGE_VAR])) {
    found.push({
      source: SECURE_STORAGE_VAR,
      effect: "the session would read and refresh the login stored in that folder",
      removed: true,
    });
  }
  return found;
}

/** Overrides in `<dir>/settings.json` (shared through the overlay, so they hit every account). */
export function settingsOverrides(dir: string): LoginOverride[] {
  return helperAndEnvOverrides(readObject(join(dir, "settings.json")), "settings.json");
}

/** `apiKeyHelper` and token variables in `env`: both settings.json and the global config take them. */
function helperAndEnvOverrides(config: Record<string, unknown> | undefined, file: string): LoginOverride[] {
  const found: LoginOverride[] = [];
  if (config === undefined) return found;
  if (typeof config.apiKeyHelper === "string" && config.apiKeyHelper.trim() !== "") {
    found.push({
      source: `${file} apiKeyHelper`,
      effect: "this session will use the API key it prints",
      removed: false,
    });
  }
  const env = config.env;
  if (typeof env === "object" && env !== null) {
    for (const name of SETTINGS_ENV_TOKENS) {
      const value = (env as Record<string, unknown>)[name];
      if (typeof value === "string" && value !== "") {
        found.push({
          source: `${file} env.${name}`,
          effect: "this session will use that token",
          removed: false,
        });
      }
    }
  }
  return found;
}

/** Overrides in an account's own `.claude.json` (a Console key from `/login`). */
export function accountConfigOverrides(configDir: string): LoginOverride[] {
  const config = readObject(join(configDir, ".claude.json"));
  // The account's own global config: claude applies its `apiKeyHelper` and `env` as well.
  const found = helperAndEnvOverrides(config, ".claude.json");
  if (typeof config?.primaryApiKey === "string" && config.primaryApiKey !== "") {
    found.push({
      source: ".claude.json primaryApiKey",
      effect: "this session will use that Console API key",
      removed: false,
    });
  }
  return found;
}

/** The warning line for one override, naming the account whose subscription it bypasses. */
export function overrideWarning(override: LoginOverride, accountLabel: string): string {
  const source = override.source.includes(" ") ? `${override.source}:` : `${override.source} is set:`;
  if (override.removed) {
    return `${source} ${override.effect}, not ${accountLabel}'s; cc-pool removed it from the session's environment.`;
  }
  return `${source} ${override.effect}, not ${accountLabel}'s subscription. Remove it to run on the pool.`;
}

/** Drops the variables cc-pool neutralises from a child environment (in place). */
export function neutraliseOverrides(childEnv: Record<string, string>): void {
  delete childEnv[SECURE_STORAGE_VAR];
}
