// The service files as text, and the service logic against a stand-in host that records every
// launchctl / systemctl / brew call instead of running it.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CommandResult,
  type PoolAccess,
  type ServiceHost,
  detectManager,
  installService,
  launchAgentPath,
  serviceStatus,
  systemdUnitPath,
  uninstallService,
} from "../../src/daemon/service.ts";
import {
  homebrewOptPath,
  renderLaunchAgent,
  renderSystemdUnit,
  serviceSpec,
  stableDaemonProgram,
} from "../../src/daemon/service-files.ts";
import { type Env, loadEnv } from "../../src/env.ts";
import { CcpError } from "../../src/errors.ts";
import { tempDir } from "../helpers/cli.ts";

const spec = serviceSpec({
  program: ["/opt/homebrew/bin/ccp", "daemon"],
  ccpHome: "/Users/me/.cc-pool",
  raw: { CCP_POLL_INTERVAL: "2m", CCP_ACCOUNT: "work", HOME: "/Users/me", CCP_USAGE_URL: "" },
});

describe("service files", () => {
  test("one description: program, environment, log paths", () => {
    expect(spec.environment).toEqual({ CCP_HOME: "/Users/me/.cc-pool", CCP_POLL_INTERVAL: "2m" });
    expect(spec.outputLog).toBe("/Users/me/.cc-pool/daemon.out.log");
  });

  test("the LaunchAgent restarts only a failed daemon and sends its output to CCP_HOME", () => {
    const plist = renderLaunchAgent(spec);
    expect(plist).toContain("<key>Label</key>\n\t<string>com.cc-pool.daemon</string>");
    expect(plist).toContain(
      "<array>\n\t\t<string>/opt/homebrew/bin/ccp</string>\n\t\t<string>daemon</string>\n\t</array>",
    );
    expect(plist).toContain("<key>KeepAlive</key>\n\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>");
    expect(plist).toContain("<key>RunAtLoad</key>\n\t<true/>");
    expect(plist).toContain("<key>ThrottleInterval</key>\n\t<integer>30</integer>");
    expect(plist).toContain(
      "<key>StandardErrorPath</key>\n\t<string>/Users/me/.cc-pool/daemon.out.log</string>",
    );
    expect(plist).toContain("<key>CCP_POLL_INTERVAL</key>\n\t\t<string>2m</string>");
    expect(plist).not.toContain("CCP_ACCOUNT");
    expect(plist).not.toContain("Cellar");
  });

  test("XML special characters in paths are escaped", () => {
    const odd = serviceSpec({
      program: ["/Users/a&b/<ccp>", "daemon"],
      ccpHome: "/Users/a&b/.cc-pool",
      raw: {},
    });
    const plist = renderLaunchAgent(odd);
    expect(plist).toContain("<string>/Users/a&amp;b/&lt;ccp&gt;</string>");
    expect(plist).not.toContain("a&b");
  });

  test("the systemd unit restarts only a failed daemon, caps restarts, and logs to the journal", () => {
    const unit = renderSystemdUnit(spec);
    expect(unit).toContain('ExecStart="/opt/homebrew/bin/ccp" "daemon"\n');
    expect(unit).toContain("Restart=on-failure\nRestartSec=30\n");
    expect(unit).toContain("StartLimitIntervalSec=600\nStartLimitBurst=5\n");
    expect(unit).toContain('Environment="CCP_HOME=/Users/me/.cc-pool"\nEnvironment="CCP_POLL_INTERVAL=2m"\n');
    expect(unit).toContain("StandardError=journal");
    expect(unit).toContain("[Install]\nWantedBy=default.target\n");
  });

  test("systemd quoting survives spaces, quotes, % and $", () => {
    const odd = serviceSpec({
      program: ['/home/j d/"x"/100%/$bin', "daemon"],
      ccpHome: "/home/j d/%h",
      raw: {},
    });
    const unit = renderSystemdUnit(odd);
    expect(unit).toContain('ExecStart="/home/j d/\\"x\\"/100%%/$$bin" "daemon"');
    expect(unit).toContain('Environment="CCP_HOME=/home/j d/%%h"');
  });
});

describe("the daemon's path in a service file", () => {
  const real: Record<string, string> = {
    "/opt/homebrew/bin/ccp": "/opt/homebrew/Cellar/cc-pool/1.2.3/bin/cc-pool",
    "/opt/homebrew/opt/cc-pool/bin/cc-pool": "/opt/homebrew/Cellar/cc-pool/1.2.3/bin/cc-pool",
    "/opt/homebrew/Cellar/cc-pool/1.2.3/bin/cc-pool": "/opt/homebrew/Cellar/cc-pool/1.2.3/bin/cc-pool",
    "/home/me/.local/bin/ccp": "/home/me/.local/share/cc-pool/cc-pool",
    "/home/me/.local/share/cc-pool/cc-pool": "/home/me/.local/share/cc-pool/cc-pool",
  };
  const facts = {
    realpath: (p: string) => {
      const r = real[p];
      if (!r) throw new Error("ENOENT");
      return r;
    },
    exists: (p: string) => p in real,
    cwd: "/work",
  };

  test("from source: bun and the absolute script", () => {
    expect(
      stableDaemonProgram({
        ...facts,
        execPath: "/usr/bin/bun",
        argv0: "bun",
        script: "src/cli.ts",
        pathEnv: "",
      }),
    ).toEqual(["/usr/bin/bun", "/work/src/cli.ts", "daemon"]);
  });

  test("compiled under Homebrew: never the versioned Cellar path", () => {
    const base = {
      ...facts,
      execPath: "/opt/homebrew/Cellar/cc-pool/1.2.3/bin/cc-pool",
      script: "/$bunfs/root/cc-pool",
    };
    const table: Array<{ argv0: string; pathEnv: string; expected: string }> = [
      // The invoked symlink (brew repoints it on upgrade)…
      { argv0: "ccp", pathEnv: "/usr/bin:/opt/homebrew/bin", expected: "/opt/homebrew/bin/ccp" },
      { argv0: "/opt/homebrew/bin/ccp", pathEnv: "", expected: "/opt/homebrew/bin/ccp" },
      // …or, when only the Cellar path is known, Homebrew's opt path.
      { argv0: "cc-pool", pathEnv: "/usr/bin", expected: "/opt/homebrew/opt/cc-pool/bin/cc-pool" },
      {
        argv0: "/opt/homebrew/Cellar/cc-pool/1.2.3/bin/cc-pool",
        pathEnv: "",
        expected: "/opt/homebrew/opt/cc-pool/bin/cc-pool",
      },
    ];
    for (const row of table) {
      expect(stableDaemonProgram({ ...base, argv0: row.argv0, pathEnv: row.pathEnv })).toEqual([
        row.expected,
        "daemon",
      ]);
    }
    expect(homebrewOptPath("/usr/local/Cellar/cc-pool/2.0.0/bin/ccp")).toBe("/usr/local/opt/cc-pool/bin/ccp");
    expect(homebrewOptPath("/usr/local/bin/ccp")).toBeUndefined();
  });

  test("compiled elsewhere: the symlink it was invoked through, found on PATH", () => {
    const base = {
      ...facts,
      execPath: "/home/me/.local/share/cc-pool/cc-pool",
      script: "/$bunfs/root/cc-pool",
    };
    expect(stableDaemonProgram({ ...base, argv0: "ccp", pathEnv: "/usr/bin:/home/me/.local/bin" })).toEqual([
      "/home/me/.local/bin/ccp",
      "daemon",
    ]);
    // A PATH entry that resolves elsewhere is not taken; the real path is the fallback.
    expect(stableDaemonProgram({ ...base, argv0: "ccp", pathEnv: "relative:/usr/bin" })).toEqual([
      "/home/me/.local/share/cc-pool/cc-pool",
      "daemon",
    ]);
  });
});

interface FakeHost extends ServiceHost {
  calls: string[];
}

/** A stand-in machine: answers by command prefix, records every call. */
function fakeHost(
  platform: NodeJS.Platform,
  answers: Record<string, CommandResult | (() => CommandResult)>,
  options: { tools?: string[]; homebrew?: boolean } = {},
): FakeHost {
  const calls: string[] = [];
  const tools = new Set(options.tools ?? ["systemctl", "launchctl", "brew"]);
  // A clock of its own: waits and back-offs pass instantly.
  let clockMs = 1_000_000;
  return {
    platform,
    uid: 501,
    program: ["/usr/local/bin/ccp", "daemon"],
    homebrew: options.homebrew ?? false,
    now: () => clockMs,
    sleep: async (ms) => {
      clockMs += ms;
    },
    calls,
    which: (name) => (tools.has(name) ? `/usr/bin/${name}` : null),
    async run(argv) {
      const line = argv.join(" ");
      calls.push(line);
      const key = Object.keys(answers)
        .filter((k) => line.startsWith(k))
        .sort((a, b) => b.length - a.length)[0];
      const answer = key === undefined ? { code: 0, stdout: "", stderr: "" } : answers[key];
      return typeof answer === "function" ? answer() : (answer as CommandResult);
    },
  };
}

function testEnv(extra: Record<string, string | undefined> = {}): Env {
  const home = join(tempDir("svc-"), "home");
  mkdirSync(home, { recursive: true });
  return loadEnv({
    HOME: home,
    CCP_HOME: join(home, ".cc-pool"),
    CCP_SECRET_STORE: "file",
    PATH: "/usr/bin",
    ...extra,
  });
}
const noPool: PoolAccess = { withDb: () => undefined };
const fail = (stderr: string, code = 1): CommandResult => ({ code, stdout: "", stderr });

describe("service management on a stand-in host", () => {
  test("Linux without a user bus, or without systemctl, has no manager and install writes nothing", async () => {
    const env = testEnv();
    const noBus = fakeHost("linux", {
      "systemctl --user show-environment": fail("Failed to connect to bus: No medium found"),
    });
    expect(await detectManager(env, noBus)).toMatchObject({
      kind: "none",
      reason: expect.stringContaining("No medium found"),
    });
    const r = await installService(env, noPool, noBus);
    expect(r).toMatchObject({ installed: false, manual: "nohup ccp daemon >/dev/null 2>&1 &" });
    expect(existsSync(systemdUnitPath(env))).toBe(false);
    const bare = fakeHost("linux", {}, { tools: [] });
    expect((await detectManager(env, bare)).reason).toContain("systemctl was not found");
    expect(bare.calls).toEqual([]);
  });

  test("systemd: install writes the unit and enables it; a second install changes nothing; uninstall undoes it", async () => {
    const env = testEnv();
    let active = false;
    const host = fakeHost("linux", {
      "systemctl --user is-active": () =>
        active ? { code: 0, stdout: "active", stderr: "" } : fail("inactive", 3),
    });
    const first = await installService(env, noPool, host);
    expect(first).toMatchObject({ installed: true, changed: true, file: systemdUnitPath(env) });
    expect(readFileSync(systemdUnitPath(env), "utf8")).toContain('ExecStart="/usr/local/bin/ccp" "daemon"');
    expect(host.calls).toEqual([
      "systemctl --user show-environment",
      "systemctl --user is-active cc-pool.service",
      "systemctl --user daemon-reload",
      "systemctl --user enable cc-pool.service",
      "systemctl --user restart cc-pool.service",
    ]);
    active = true;
    host.calls.length = 0;
    expect(await installService(env, noPool, host)).toMatchObject({ installed: true, changed: false });
    expect(host.calls).toEqual([
      "systemctl --user show-environment",
      "systemctl --user is-active cc-pool.service",
    ]);

    host.calls.length = 0;
    const st = await serviceStatus(env, noPool, host);
    expect(st).toMatchObject({ manager: "systemd", installed: true, running: false });
    const un = await uninstallService(env, noPool, host, {
      force: false,
      purge: false,
      liveSessions: () => [],
      removeAccounts: async () => [],
    });
    expect(un.removedFile).toBe(systemdUnitPath(env));
    expect(existsSync(systemdUnitPath(env))).toBe(false);
    expect(host.calls).toContain("systemctl --user disable --now cc-pool.service");
  });

  test("systemd: a failing systemctl is reported with its message and a way out", async () => {
    const env = testEnv();
    const host = fakeHost("linux", {
      "systemctl --user is-active": fail("inactive", 3),
      "systemctl --user enable": fail("Failed to enable unit: Access denied"),
    });
    await expect(installService(env, noPool, host)).rejects.toThrow(/Access denied/);
  });

  test("launchd: bootstrap, then kickstart when loaded but not running", async () => {
    const env = testEnv();
    let loaded = false;
    const host = fakeHost(
      "darwin",
      {
        "launchctl print": () =>
          loaded ? { code: 0, stdout: "\tstate = waiting\n", stderr: "" } : fail("not found", 113),
        "launchctl bootstrap": () => {
          loaded = true;
          return { code: 0, stdout: "", stderr: "" };
        },
      },
      { tools: ["launchctl"] },
    );
    const r = await installService(env, noPool, host);
    expect(r).toMatchObject({ installed: true, file: launchAgentPath(env) });
    expect(readFileSync(launchAgentPath(env), "utf8")).toContain("<string>/usr/local/bin/ccp</string>");
    expect(host.calls.slice(0, 4)).toEqual([
      "launchctl print gui/501/com.cc-pool.daemon",
      `launchctl bootstrap gui/501 ${launchAgentPath(env)}`,
      "launchctl print gui/501/com.cc-pool.daemon",
      "launchctl kickstart gui/501/com.cc-pool.daemon",
    ]);
    // Then it watches the job for an early exit.
    expect(new Set(host.calls.slice(4))).toEqual(new Set(["launchctl print gui/501/com.cc-pool.daemon"]));
    host.calls.length = 0;
    await uninstallService(env, noPool, host, {
      force: false,
      purge: false,
      liveSessions: () => [],
      removeAccounts: async () => [],
    });
    expect(host.calls).toEqual(["launchctl bootout gui/501/com.cc-pool.daemon"]);
    expect(existsSync(launchAgentPath(env))).toBe(false);
  });

  test("Homebrew installs delegate to brew services and write no plist of their own", async () => {
    const env = testEnv({ CCP_SECRET_STORE: undefined });
    const host = fakeHost("darwin", {}, { homebrew: true });
    const r = await installService(env, noPool, host);
    expect(r).toMatchObject({ installed: true, manager: { kind: "brew" } });
    expect(host.calls).toEqual(["brew services restart cc-pool"]);
    expect(existsSync(launchAgentPath(env))).toBe(false);
    host.calls.length = 0;
    await uninstallService(env, noPool, host, {
      force: false,
      purge: false,
      liveSessions: () => [],
      removeAccounts: async () => [],
    });
    expect(host.calls).toEqual(["brew services stop cc-pool"]);
  });

  test("uninstall refuses while sessions run, before stopping anything", async () => {
    const env = testEnv();
    const host = fakeHost("linux", {});
    await expect(
      uninstallService(env, noPool, host, {
        force: false,
        purge: false,
        liveSessions: () => [{ accountId: 1, pid: 4321 }],
        removeAccounts: async () => [],
      }),
    ).rejects.toThrow(/pid 4321/);
    expect(host.calls).toEqual([]);
  });
});

/**
 * launchctl as unkind as the real one: `bootout` answers before launchd has let go of the label
 * (it stays listed for `lingerPrints` more prints, and a `bootstrap` meanwhile fails with 5:
 * Input/output error), a few more bootstraps may fail with 37 even after that, and a job whose
 * WorkingDirectory or log folder is missing (or that exits at once) is loaded but not running,
 * with its `last exit code`.
 */
interface LaunchctlModel {
  loaded: boolean;
  running: boolean;
  lastExit: number | null;
  bootstraps: number;
}

function unkindLaunchctl(options: {
  lingerPrints?: number;
  lateErrors?: number[];
  exitAtStart?: number;
  homebrew?: boolean;
  loadedAtStart?: boolean;
}): FakeHost & { model: LaunchctlModel; lateErrors: number[] } {
  const model: LaunchctlModel = {
    loaded: options.loadedAtStart ?? false,
    running: options.loadedAtStart ?? false,
    lastExit: null,
    bootstraps: 0,
  };
  let lingering = 0;
  const lateErrors = [...(options.lateErrors ?? [])];
  let plist = "";
  const ok = (stdout = ""): CommandResult => ({ code: 0, stdout, stderr: "" });
  const start = (): void => {
    const dir = /<key>WorkingDirectory<\/key>\s*<string>([^<]*)<\/string>/.exec(plist)?.[1] ?? "";
    const out = /<key>StandardOutPath<\/key>\s*<string>([^<]*)<\/string>/.exec(plist)?.[1] ?? "";
    if (!existsSync(dir) || !existsSync(join(out, ".."))) {
      model.running = false;
      model.lastExit = 78; // EX_CONFIG: launchd could not set the job up
    } else if (options.exitAtStart !== undefined) {
      model.running = false;
      model.lastExit = options.exitAtStart;
    } else {
      model.running = true;
    }
  };
  const host = fakeHost(
    "darwin",
    {
      "launchctl print": () => {
        if (lingering > 0) {
          lingering--;
          return ok("\tstate = not running\n");
        }
        if (!model.loaded) return fail("Could not find service in domain for port", 113);
        const exit = model.lastExit === null ? "(never exited)" : `${model.lastExit}`;
        return ok(
          model.running
            ? "\tstate = running\n\tpid = 4242\n\tlast exit code = (never exited)\n"
            : `\tstate = not running\n\tlast exit code = ${exit}\n`,
        );
      },
      "launchctl bootout": () => {
        if (!model.loaded) return fail("Boot-out failed: 3: No such process", 3);
        model.loaded = false;
        model.running = false;
        lingering = options.lingerPrints ?? 3;
        return ok();
      },
      "launchctl bootstrap": () => {
        model.bootstraps++;
        if (lingering > 0) return fail("Bootstrap failed: 5: Input/output error", 5);
        const late = lateErrors.shift();
        if (late !== undefined)
          return fail(
            late === 37
              ? "Bootstrap failed: 37: Operation already in progress"
              : "Bootstrap failed: 5: Input/output error",
            late,
          );
        if (model.loaded) return fail("Bootstrap failed: 5: Input/output error", 5);
        model.loaded = true;
        model.lastExit = null;
        start();
        return ok();
      },
      "launchctl kickstart": () => {
        if (!model.loaded) return fail("Could not find service", 113);
        start();
        return ok();
      },
    },
    { tools: options.homebrew ? ["launchctl", "brew"] : ["launchctl"], homebrew: options.homebrew },
  );
  const realRun = host.run.bind(host);
  // The plist is read at bootstrap, as launchd does.
  host.run = async (argv) => {
    if (argv[1] === "bootstrap" && argv[3]) plist = readFileSync(argv[3], "utf8");
    return realRun(argv);
  };
  return Object.assign(host, { model, lateErrors });
}

describe("launchd, unkind", () => {
  test("a changed LaunchAgent: waits until bootout has let go, retries bootstrap on 5 and 37", async () => {
    const env = testEnv();
    const host = unkindLaunchctl({ lingerPrints: 4 });
    await installService(env, noPool, host);
    host.lateErrors.push(37, 5);
    expect(host.model).toMatchObject({ loaded: true, running: true });
    // A changed setting rewrites the plist: bootout, then bootstrap into the race.
    const changed = loadEnv({ ...env.raw, CCP_POLL_INTERVAL: "2m" });
    host.calls.length = 0;
    const r = await installService(changed, noPool, host);
    expect(r).toMatchObject({ installed: true, changed: true });
    expect(host.model).toMatchObject({ loaded: true, running: true });
    expect(readFileSync(launchAgentPath(env), "utf8")).toContain("<string>2m</string>");
    const bootout = host.calls.indexOf("launchctl bootout gui/501/com.cc-pool.daemon");
    const firstBootstrap = host.calls.findIndex((c) => c.startsWith("launchctl bootstrap"));
    // Every print between them was launchd still listing the label.
    expect(host.calls.slice(bootout + 1, firstBootstrap).filter((c) => c.includes("print")).length).toBe(5);
    expect(host.calls.filter((c) => c.startsWith("launchctl bootstrap"))).toHaveLength(3);
  });

  test("a bootstrap that keeps failing is reported with the Login Items hint", async () => {
    const env = testEnv();
    const host = unkindLaunchctl({ lateErrors: [5, 5, 5, 5, 5, 5, 5, 5] });
    const error = await installService(env, noPool, host).then(
      () => undefined,
      (e: unknown) => e as CcpError,
    );
    expect(error).toBeInstanceOf(CcpError);
    expect(error?.message).toContain("Input/output error");
    expect(error?.hint).toContain("Login Items");
    expect(host.model.bootstraps).toBe(6);
  });

  test("install creates CCP_HOME before the plist points WorkingDirectory and the log into it", async () => {
    const env = testEnv({});
    const ccpHome = env.ccpHome;
    expect(existsSync(ccpHome)).toBe(false);
    const host = unkindLaunchctl({});
    await installService(env, noPool, host);
    expect(existsSync(ccpHome)).toBe(true);
    expect(host.model).toMatchObject({ loaded: true, running: true, lastExit: null });
  });

  test("a daemon that exits at once is reported, not claimed as installed", async () => {
    const env = testEnv();
    const host = unkindLaunchctl({ exitAtStart: 1 });
    const error = await installService(env, noPool, host).then(
      () => undefined,
      (e: unknown) => e as CcpError,
    );
    expect(error).toBeInstanceOf(CcpError);
    expect(error?.message).toContain("last exit code 1");
    expect(error?.hint).toContain("daemon.out.log");
  });
});

describe("Homebrew and the daemon's settings", () => {
  test("custom CCP_* settings: cc-pool's own LaunchAgent (brew services would drop them), and status says so", async () => {
    const home = join(tempDir("svc-"), "home");
    mkdirSync(home, { recursive: true });
    const env = loadEnv({
      HOME: home,
      CCP_HOME: join(home, "pool-elsewhere"),
      CCP_SECRET_STORE: "file",
      PATH: "/usr/bin",
    });
    const host = unkindLaunchctl({ homebrew: true });
    const r = await installService(env, noPool, host);
    expect(r).toMatchObject({ installed: true, manager: { kind: "launchd" } });
    expect(host.calls.filter((c) => c.startsWith("brew"))).toEqual([]);
    const plist = readFileSync(launchAgentPath(env), "utf8");
    expect(plist).toContain(`<string>${join(home, "pool-elsewhere")}</string>`);
    expect(plist).toContain("<key>CCP_SECRET_STORE</key>");
    const st = await serviceStatus(env, noPool, host);
    expect(st.settings).toContain("CCP_HOME, CCP_SECRET_STORE");
    expect(st.settings).toContain("brew services");
    // Uninstalled from a shell with default settings (which would pick brew), the agent still goes.
    const plain = loadEnv({ HOME: home, PATH: "/usr/bin" });
    await uninstallService(plain, noPool, host, {
      force: false,
      purge: false,
      liveSessions: () => [],
      removeAccounts: async () => [],
    });
    expect(existsSync(launchAgentPath(env))).toBe(false);
    expect(host.calls).toContain("brew services stop cc-pool");
  });

  test("default settings: brew services, and status says the daemon runs on the defaults", async () => {
    const home = join(tempDir("svc-"), "home");
    mkdirSync(home, { recursive: true });
    const env = loadEnv({ HOME: home, PATH: "/usr/bin" });
    const host = fakeHost("darwin", {}, { homebrew: true });
    const st = await serviceStatus(env, noPool, host);
    expect(st.manager).toBe("brew");
    expect(st.settings).toContain(join(home, ".cc-pool"));
  });
});
