// The daemon's service, described once and rendered as a macOS LaunchAgent plist or a systemd user
// unit. Both restart the daemon only when it fails (a clean exit means it stepped aside for another
// daemon or was stopped on purpose) and both cap how fast a crashing daemon is restarted.

import { join, resolve } from "node:path";
import { type SelfFacts, stableSelfCommand } from "../app/self-path.ts";
export const LAUNCHD_LABEL = "com.cc-pool.daemon";
export const SYSTEMD_UNIT_NAME = "cc-pool.service";
export const HOMEBREW_FORMULA = "cc-pool";
/** Seconds between restarts of a failed daemon. */
export const RESTART_DELAY_S = 30;
/** systemd gives up after this many failed starts in the window (launchd has only the delay). */
export const START_LIMIT_BURST = 5;
export const START_LIMIT_WINDOW_S = 600;
/** Seconds the daemon gets to finish a request after SIGTERM before it is killed. */
export const STOP_TIMEOUT_S = 30;

export interface ServiceSpec {
  label: string;
  description: string;
  /** Absolute argv of `ccp daemon`, through a path that survives upgrades. */
  program: string[];
  environment: Record<string, string>;
  workingDir: string;
  /** Where the service manager sends the daemon's own stdout/stderr (launchd; systemd uses the journal). */
  outputLog: string;
}

/** CCP_* settings that the daemon must see as the installing shell did. */
const FORWARDED_VARS = [
  "CCP_HOME",
  "CCP_SECRET_STORE",
  "CCP_USAGE_URL",
  "CCP_TOKEN_URL",
  "CCP_PROFILE_URL",
  "CCP_POLL_INTERVAL",
  "CCP_SECURITY_LIB",
  "CCP_COREFOUNDATION_LIB",
  "CCP_SECURITY_BIN",
];

/**
 * The settings a service started without the installing shell's environment would lose: every
 * forwarded CCP_* variable that is set, except CCP_HOME at its default. `brew services` starts the
 * daemon with no environment of its own, so any of these rules it out.
 */
export function customSettings(raw: Record<string, string | undefined>, home: string): string[] {
  return FORWARDED_VARS.filter((key) => {
    const value = raw[key];
    if (value === undefined || value === "") return false;
    if (key === "CCP_HOME") return resolve(value) !== join(home, ".cc-pool");
    return true;
  });
}

export function serviceSpec(options: {
  program: string[];
  ccpHome: string;
  raw: Record<string, string | undefined>;
}): ServiceSpec {
  const environment: Record<string, string> = { CCP_HOME: options.ccpHome };
  for (const key of FORWARDED_VARS) {
    const value = options.raw[key];
    if (key !== "CCP_HOME" && value !== undefined && value !== "") environment[key] = value;
  }
  return {
    label: LAUNCHD_LABEL,
    description: "cc-pool usage daemon",
    program: options.program,
    environment,
    workingDir: options.ccpHome,
    outputLog: join(options.ccpHome, "daemon.out.log"),
  };
}

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export function renderLaunchAgent(spec: ServiceSpec): string {
  const s = (v: string): string => `<string>${xml(v)}</string>`;
  const env = Object.entries(spec.environment)
    .map(([k, v]) => `\t\t<key>${xml(k)}</key>\n\t\t${s(v)}`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>Label</key>
\t${s(spec.label)}
\t<key>ProgramArguments</key>
\t<array>
${spec.program.map((a) => `\t\t${s(a)}`).join("\n")}
\t</array>
\t<key>EnvironmentVariables</key>
\t<dict>
${env}
\t</dict>
\t<key>WorkingDirectory</key>
\t${s(spec.workingDir)}
\t<key>RunAtLoad</key>
\t<true/>
\t<key>KeepAlive</key>
\t<dict>
\t\t<key>SuccessfulExit</key>
\t\t<false/>
\t</dict>
\t<key>ThrottleInterval</key>
\t<integer>${RESTART_DELAY_S}</integer>
\t<key>ExitTimeOut</key>
\t<integer>${STOP_TIMEOUT_S}</integer>
\t<key>ProcessType</key>
\t<string>Background</string>
\t<key>StandardOutPath</key>
\t${s(spec.outputLog)}
\t<key>StandardErrorPath</key>
\t${s(spec.outputLog)}
</dict>
</plist>
`;
}

/**
 * systemd's quoting: double quotes with backslash escapes, `%` doubled (specifiers), and in
 * ExecStart `$` doubled too (variable expansion).
 */
function systemdQuote(value: string, execLine: boolean): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%");
  return `"${execLine ? escaped.replace(/\$/g, "$$$$") : escaped}"`;
}

export function renderSystemdUnit(spec: ServiceSpec): string {
  const env = Object.entries(spec.environment)
    .map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`, false)}`)
    .join("\n");
  return `[Unit]
Description=${spec.description}
StartLimitIntervalSec=${START_LIMIT_WINDOW_S}
StartLimitBurst=${START_LIMIT_BURST}

[Service]
Type=simple
ExecStart=${spec.program.map((a) => systemdQuote(a, true)).join(" ")}
${env}
Restart=on-failure
RestartSec=${RESTART_DELAY_S}
KillSignal=SIGTERM
TimeoutStopSec=${STOP_TIMEOUT_S}
# The daemon keeps its own rotated log in $CCP_HOME/daemon.log; stray output goes to the journal.
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=default.target
`;
}

/** Facts about how this process was started, for finding a path that survives upgrades. */
export type ProgramFacts = SelfFacts;

export { homebrewOptPath, isHomebrewInstall } from "../app/self-path.ts";

/** The argv for `ccp daemon` to write into a service file: never a versioned Cellar path. */
export function stableDaemonProgram(f: ProgramFacts): string[] {
  return [...stableSelfCommand(f), "daemon"];
}
