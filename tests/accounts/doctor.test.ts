import { afterEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type DoctorReport, type Finding, runDoctor } from "../../src/app/doctor.ts";
import { installAlias } from "../../src/app/alias.ts";
import { loadEnv } from "../../src/env.ts";
import { openDb } from "../../src/store/db.ts";
import { tempDir } from "../helpers/cli.ts";
import { describeSacred, expectSacredUnchanged, snapshotSacred } from "../helpers/sacred.ts";
import {
  addAccountDirect,
  ccp,
  listAccountsJson,
  makeWorld,
  reapStrayStandIns,
  sha256File,
  type World,
} from "./fixture.ts";

afterEach(() => {
  expect(reapStrayStandIns()).toEqual([]);
});

async function doctorJson(w: World, args: string[] = [], env?: Record<string, string>) {
  const r = await ccp(w, ["doctor", "--json", ...args], { env, sacred: !args.includes("--fix") });
  const report = JSON.parse(r.stdout) as DoctorReport;
  return { code: r.code, report, stdout: r.stdout, stderr: r.stderr };
}

function find(report: DoctorReport, check: Finding["check"], accountId: number | null = null): Finding[] {
  return report.findings.filter((f) => f.check === check && (f.account?.id ?? null) === accountId);
}

function only(report: DoctorReport, check: Finding["check"], accountId: number | null = null): Finding {
  const found = find(report, check, accountId);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

describe("ccp doctor on a healthy pool", () => {
  test("reports every check as fine, exits 0, never prints a token", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "alice@gmail.com", label: "work", org: "Acme Corp" });
    installAlias({ home: w.home, shell: "/bin/zsh" });
    const { code, report, stdout } = await doctorJson(w);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.problems).toBe(0);
    expect(only(report, "claude").message).toContain("2.1.999 (Claude Code)");
    expect(only(report, "claude").message).toContain(w.claudeBin);
    expect(only(report, "database")).toMatchObject({ status: "ok" });
    expect(only(report, "database").message).toContain("1 account");
    expect(only(report, "base-dirs").status).toBe("ok");
    for (const check of ["claude-json", "identity", "credential", "overlay"] as const) {
      expect({ check, status: only(report, check, 1).status }).toEqual({ check, status: "ok" });
    }
    expect(only(report, "identity", 1).message).toContain("alice@gmail.com (Acme Corp)");
    expect(only(report, "alias").status).toBe("ok");
    // The test environment turns autostart off: a stopped daemon is then worth knowing, not a problem.
    expect(only(report, "daemon")).toMatchObject({
      status: "info",
      message: expect.stringContaining("Not running (it never ran)"),
    });
    expect(stdout).not.toContain("sk-ant-");

    const human = await ccp(w, ["doctor"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("No problems left.");
    expect(human.stdout).not.toContain("sk-ant-");
  });

  test("the JSON shape is stable", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const { report } = await doctorJson(w);
    expect(Object.keys(report).sort()).toEqual(["accounts", "findings", "fixed", "ok", "problems"]);
    for (const f of report.findings) {
      expect(Object.keys(f).sort()).toEqual([
        "account",
        "changed",
        "check",
        "fix",
        "fixable",
        "message",
        "status",
      ]);
      expect(["ok", "info", "problem", "fixed"]).toContain(f.status);
    }
    expect(only(report, "credential", 1).account).toEqual({ id: 1, name: "work" });
  });

  test("an empty machine: no pool is not a problem, and doctor creates nothing", async () => {
    const w = makeWorld();
    const { code, report } = await doctorJson(w);
    expect(code).toBe(0);
    expect(only(report, "database")).toMatchObject({
      status: "info",
      fix: expect.stringContaining("ccp add"),
    });
    expect(only(report, "alias").status).toBe("info");
    expect(existsSync(w.ccpHome)).toBe(false);
  });
});

describe("ccp doctor finds and fixes drift", () => {
  test("a wrong link and a missing link: reported, then repaired by --fix", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const dir = join(w.accountsDir, "acct-01");
    const elsewhere = join(tempDir("elsewhere-"), "settings.json");
    writeFileSync(elsewhere, "{}");
    unlinkSync(join(dir, "settings.json"));
    symlinkSync(elsewhere, join(dir, "settings.json"));
    unlinkSync(join(dir, "skills"));

    const found = await doctorJson(w);
    expect(found.code).toBe(1);
    const overlay = only(found.report, "overlay", 1);
    expect(overlay).toMatchObject({ status: "problem", fixable: true });
    expect(overlay.message).toContain("missing links: skills");
    expect(overlay.message).toContain(`wrong links: settings.json → ${elsewhere}`);
    expect(overlay.fix).toContain("ccp doctor --fix");
    // Looking changes nothing.
    expect(readlinkSync(join(dir, "settings.json"))).toBe(elsewhere);
    expect(existsSync(join(dir, "skills"))).toBe(false);

    const human = await ccp(w, ["doctor"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("1 problem found. `ccp doctor --fix` can repair 1 of them.");

    const fixed = await doctorJson(w, ["--fix"]);
    expectSacredUnchanged(w.home, w.sacred);
    expect(fixed.code).toBe(0);
    expect(fixed.report.fixed).toBe(1);
    expect(only(fixed.report, "overlay", 1).changed.sort()).toEqual([
      "linked skills",
      `repointed settings.json (it pointed at ${elsewhere})`,
    ]);
    expect(readlinkSync(join(dir, "settings.json"))).toBe(join(w.home, ".claude", "settings.json"));
    expect(readlinkSync(join(dir, "skills"))).toBe(join(w.home, ".claude", "skills"));
    expect(readFileSync(elsewhere, "utf8")).toBe("{}");
    expect((await doctorJson(w)).code).toBe(0);
  });

  test("a real file where a link belongs is reported, left as is, and keeps --fix non-zero", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const path = join(w.accountsDir, "acct-01", "CLAUDE.md");
    unlinkSync(path);
    writeFileSync(path, "my own notes\n");
    unlinkSync(join(w.accountsDir, "acct-01", "todos"));

    const fixed = await doctorJson(w, ["--fix"]);
    expectSacredUnchanged(w.home, w.sacred);
    expect(fixed.code).toBe(1);
    expect(fixed.report.problems).toBe(1);
    const overlay = find(fixed.report, "overlay", 1);
    expect(overlay.map((f) => f.status)).toEqual(["fixed", "problem"]);
    expect(overlay[0]?.changed).toEqual(["linked todos"]);
    const conflict = overlay[1];
    expect(conflict).toMatchObject({ check: "overlay", fixable: false });
    expect(conflict?.message).toContain(path);
    expect(conflict?.fix).toContain(join(w.home, ".claude", "CLAUDE.md"));
    expect(readFileSync(path, "utf8")).toBe("my own notes\n");

    const human = await ccp(w, ["doctor", "--fix"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("1 problem left.");
  });

  test("missing shared dirs in ~/.claude: reported by doctor; --fix creates only those empty dirs", async () => {
    const w = makeWorld({ base: { plans: false, sessionDirs: false } });
    await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    // addAccountDirect prepared the dir the way `ccp add` does, which created them: undo that.
    for (const name of ["plans", "sessions", "session-env", "shell-snapshots", "file-history"]) {
      rmSync(join(w.home, ".claude", name), { recursive: true, force: true });
      rmSync(join(w.accountsDir, "acct-01", name), { force: true });
    }
    w.sacred = snapshotSacred(w.home);
    const found = await doctorJson(w);
    expect(found.code).toBe(1);
    expect(only(found.report, "base-dirs")).toMatchObject({ status: "problem", fixable: true });
    expect(only(found.report, "base-dirs").message).toContain(
      "sessions, session-env, shell-snapshots, plans, file-history",
    );
    expect(existsSync(join(w.home, ".claude", "plans"))).toBe(false);

    const before = describeSacred(w.home);
    const fixed = await doctorJson(w, ["--fix"]);
    expect(fixed.code).toBe(0);
    const after = describeSacred(w.home);
    const added = after.filter((line) => !before.includes(line));
    expect(before.filter((line) => !after.includes(line))).toEqual([]);
    expect(added.sort()).toEqual(
      ["file-history", "plans", "session-env", "sessions", "shell-snapshots"].map(
        (n) => `~/.claude/${n} dir 700`,
      ),
    );
    expect(only(fixed.report, "base-dirs").changed).toContain(
      `created the empty folder ${join(w.home, ".claude", "plans")}`,
    );
    const link = join(w.accountsDir, "acct-01", "sessions");
    expect(readlinkSync(link)).toBe(join(w.home, ".claude", "sessions"));
    const human = await ccp(w, ["doctor"], { sacred: false });
    expect(human.code).toBe(0);
  });

  test("a recorded identity that no longer matches the login is updated by --fix", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const configPath = join(w.accountsDir, "acct-01", ".claude.json");
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    config.oauthAccount = { accountUuid: "uuid-other", emailAddress: "other@gmail.com" };
    writeFileSync(configPath, JSON.stringify(config));
    const found = await doctorJson(w);
    expect(found.code).toBe(1);
    expect(only(found.report, "identity", 1).message).toContain("other@gmail.com");
    expect((await listAccountsJson(w))[0]?.email).toBe("alice@gmail.com");
    const fixed = await doctorJson(w, ["--fix"]);
    expect(fixed.code).toBe(0);
    expect((await listAccountsJson(w))[0]?.email).toBe("other@gmail.com");
  });
});

describe("ccp doctor reports what it cannot fix", () => {
  test("missing credential, unparsable .claude.json, no identity, missing account dir", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "a@gmail.com", label: "one" });
    await addAccountDirect(w, { email: "b@gmail.com", label: "two" });
    await addAccountDirect(w, { email: "c@gmail.com", label: "three" });
    await addAccountDirect(w, { email: "d@gmail.com", label: "four" });
    rmSync(join(w.accountsDir, "acct-01", ".credentials.json"));
    writeFileSync(join(w.accountsDir, "acct-02", ".claude.json"), "{ not json");
    writeFileSync(join(w.accountsDir, "acct-03", ".claude.json"), JSON.stringify({ numStartups: 1 }));
    rmSync(join(w.accountsDir, "acct-04"), { recursive: true });

    for (const args of [[], ["--fix"]]) {
      const { code, report, stdout } = await doctorJson(w, args);
      expect(code).toBe(1);
      expect(stdout).not.toContain("sk-ant-");
      const cred = only(report, "credential", 1);
      expect(cred.status).toBe("problem");
      expect(cred.message).toContain(join(w.accountsDir, "acct-01", ".credentials.json"));
      expect(cred.fix).toContain(`CLAUDE_CONFIG_DIR=${join(w.accountsDir, "acct-01")}`);
      expect(cred.fix).toContain("auth login");
      expect(only(report, "claude-json", 2)).toMatchObject({ status: "problem", fixable: false });
      expect(only(report, "claude-json", 3).status).toBe("ok");
      expect(only(report, "identity", 3)).toMatchObject({ status: "problem", fixable: false });
      expect(only(report, "account-dir", 4).message).toContain(join(w.accountsDir, "acct-04"));
      expect(only(report, "account-dir", 4).fix).toContain("ccp remove 4");
      expect(report.problems).toBe(4);
    }
    // The unparsable file is never replaced.
    expect(readFileSync(join(w.accountsDir, "acct-02", ".claude.json"), "utf8")).toBe("{ not json");
    expectSacredUnchanged(w.home, w.sacred);
  });

  test("an unreadable credential is a problem, and the message names no secret", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "a@gmail.com", label: "one" });
    const cred = join(w.accountsDir, "acct-01", ".credentials.json");
    writeFileSync(
      cred,
      JSON.stringify({ claudeAiOauth: { accessToken: "sk-ant-oat01-x", refreshToken: "" } }),
    );
    const dead = await doctorJson(w);
    expect(dead.code).toBe(1);
    expect(only(dead.report, "credential", 1).message).toContain("empty refresh token");
    writeFileSync(cred, "sk-ant-oat01-garbage-not-json");
    const garbage = await doctorJson(w);
    expect(garbage.code).toBe(1);
    expect(only(garbage.report, "credential", 1).message).toContain("cannot be read");
    expect(garbage.stdout).not.toContain("sk-ant-");
  });

  test("claude missing from PATH is a problem naming the fix", async () => {
    const w = makeWorld();
    const { code, report } = await doctorJson(w, [], { PATH: "/usr/bin:/bin" });
    expect(code).toBe(1);
    expect(only(report, "claude")).toMatchObject({
      status: "problem",
      fix: expect.stringContaining("CCP_CLAUDE_BIN"),
    });
  });

  test("a claude that does not answer --version is stopped at the timeout", async () => {
    const w = makeWorld();
    const bin = join(tempDir("slow-"), "claude");
    writeFileSync(bin, "#!/bin/sh\nexec sleep 30\n");
    chmodSync(bin, 0o755);
    const report = await runDoctor(loadEnv({ ...w.vars, CCP_CLAUDE_BIN: bin }), {
      fix: false,
      claudeTimeoutMs: 200,
    });
    const claude = only(report, "claude");
    expect(claude.status).toBe("problem");
    expect(claude.message).toContain("did not answer within 200 ms");
  });

  test("a corrupt pool.db is reported by name, left untouched, and doctor exits 1", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "a@gmail.com", label: "one" });
    writeFileSync(w.dbPath, "this is not a database, just some bytes that are long enough\n");
    const before = sha256File(w.dbPath);
    for (const args of [[], ["--fix"]]) {
      const { code, report } = await doctorJson(w, args);
      expect(code).toBe(1);
      const db = only(report, "database");
      expect(db.status).toBe("problem");
      expect(db.message).toContain(w.dbPath);
      expect(db.message).toContain("cc-pool leaves the file untouched");
      expect(db.fix).toContain("mv");
      expect(find(report, "credential", 1)).toEqual([]);
    }
    const human = await ccp(w, ["doctor"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(w.dbPath);
    expect(sha256File(w.dbPath)).toBe(before);
  });

  test("a database with damaged pages (valid header) is caught by the integrity check", async () => {
    const w = makeWorld();
    await addAccountDirect(w, { email: "a@gmail.com", label: "one" });
    const db = openDb(w.dbPath);
    for (let i = 0; i < 100; i++)
      db.run("INSERT INTO meta (key, value) VALUES (?, ?)", [`k${i}`, "x".repeat(400)]);
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    const bytes = readFileSync(w.dbPath);
    bytes.fill(0x55, 4096 * 2, 4096 * 3);
    writeFileSync(w.dbPath, bytes);
    const before = sha256File(w.dbPath);
    const { code, report } = await doctorJson(w);
    expect(code).toBe(1);
    expect(only(report, "database").message).toContain("is damaged");
    expect(sha256File(w.dbPath)).toBe(before);
  });

  test("an alias that conflicts or an unknown shell is information, not a problem", async () => {
    const w = makeWorld();
    writeFileSync(join(w.home, ".zshrc"), "alias claude='claude --verbose'\n");
    const conflict = await doctorJson(w);
    expect(conflict.code).toBe(0);
    expect(only(conflict.report, "alias")).toMatchObject({ status: "info" });
    expect(only(conflict.report, "alias").message).toContain("already defines claude");
    const tcsh = await doctorJson(w, [], { SHELL: "/bin/tcsh" });
    expect(only(tcsh.report, "alias")).toMatchObject({ status: "info" });
  });

  test("no ~/.claude at all: reported; --fix creates it with its shared folders, then links them", async () => {
    const w = makeWorld({ base: { dir: false } });
    await addAccountDirect(w, { email: "a@gmail.com", label: "one" });
    // addAccountDirect prepared the dir as `ccp add` does, which created ~/.claude: undo that.
    rmSync(join(w.home, ".claude"), { recursive: true });
    const found = await doctorJson(w, [], undefined);
    expect(found.code).toBe(1);
    expect(only(found.report, "base")).toMatchObject({ status: "problem", fixable: true });
    expect(existsSync(join(w.home, ".claude"))).toBe(false);

    const { code, report } = await doctorJson(w, ["--fix"]);
    expect(code).toBe(0);
    expect(only(report, "base-dirs").changed).toContain(`created ${join(w.home, ".claude")}`);
    expect(readlinkSync(join(w.accountsDir, "acct-01", "projects"))).toBe(
      join(w.home, ".claude", "projects"),
    );
  });
});
