import { Database } from "bun:sqlite";
import { closeSync, constants, lstatSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../env.ts";
import { isCcpError } from "../errors.ts";
import { assertAccountDir } from "../fs/safe-path.ts";
import { detectAlias } from "./alias.ts";
import { inspectAccountIdentity } from "../overlay/identity.ts";
import { readFlowHistory } from "../overlay/claude-json.ts";
import {
  checkOverlay,
  ensureBaseSharedDirs,
  missingBaseSharedDirs,
  syncOverlay,
} from "../overlay/symlinks.ts";
import { createCredentialStore } from "../secrets/index.ts";
import type { CredentialStore } from "../secrets/types.ts";
import { type AccountRow, listAccounts } from "../store/accounts.ts";
import { type Db, assertPlainDbFile, openDb, writeTx } from "../store/db.ts";
import { refreshIdentity } from "./accounts.ts";
import { findClaude } from "./claude-bin.ts";
import { type Scope, checkDaemon, checkLogins, finding } from "./doctor-checks.ts";
import { loginCommand } from "./login.ts";
import { whichClaudeWins } from "./claude-shim.ts";
import {
  type LoginOverride,
  accountConfigOverrides,
  environmentOverrides,
  settingsOverrides,
} from "./login-overrides.ts";

export type FindingCheck =
  | "claude"
  | "database"
  | "base"
  | "base-dirs"
  | "account-dir"
  | "claude-json"
  | "identity"
  | "credential"
  | "overlay"
  | "settings-flow"
  | "login-override"
  | "alias"
  | "login"
  | "shim"
  | "daemon";

/** ok: healthy; info: worth knowing, nothing to repair; problem: needs a repair; fixed: repaired by --fix. */
export type FindingStatus = "ok" | "info" | "problem" | "fixed";

/** One line of the report. The `--json` output is `DoctorReport` exactly; keep the shape stable. */
export interface Finding {
  check: FindingCheck;
  account: { id: number; name: string } | null;
  status: FindingStatus;
  /** What was found. */
  message: string;
  /** What to do about it, when there is something to do. */
  fix: string | null;
  /** `ccp doctor --fix` can repair it. */
  fixable: boolean;
  /** What `--fix` changed (only for status "fixed"). */
  changed: string[];
}

export interface DoctorReport {
  /** Nothing is left to repair. */
  ok: boolean;
  /** Accounts in the pool (0 when there is no pool or its database is unreadable). */
  accounts: number;
  fixed: number;
  problems: number;
  findings: Finding[];
}

export interface DoctorOptions {
  fix: boolean;
  /** Bound on `claude --version`. */
  claudeTimeoutMs?: number;
  nowMs?: number;
}

const CLAUDE_VERSION_TIMEOUT_MS = 5000;
const SQLITE_MAGIC = "SQLite format 3\u0000";

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function checkClaude(env: Env, timeoutMs: number): Promise<{ finding: Finding; bin?: string }> {
  let bin: string;
  try {
    bin = findClaude(env);
  } catch (error) {
    return {
      finding: finding("claude", null, "problem", errorMessage(error), {
        fix: isCcpError(error) ? error.hint : undefined,
      }),
    };
  }
  const proc = Bun.spawn([bin, "--version"], {
    env: env.raw,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    if (timedOut) {
      return {
        bin,
        finding: finding(
          "claude",
          null,
          "problem",
          `\`${bin} --version\` did not answer within ${timeoutMs} ms.`,
          {
            fix: "Check that this is a working Claude Code install (run `claude --version` yourself).",
          },
        ),
      };
    }
    const version = out.trim().split("\n")[0]?.trim() ?? "";
    if (code !== 0 || version === "") {
      return {
        bin,
        finding: finding("claude", null, "problem", `\`${bin} --version\` failed (exit ${code}).`, {
          fix: "Reinstall Claude Code, or point CCP_CLAUDE_BIN at a working claude.",
        }),
      };
    }
    return { bin, finding: finding("claude", null, "ok", `${bin} (${version})`) };
  } finally {
    clearTimeout(timer);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  }
}

function hasSqliteHeader(path: string): boolean {
  if (statSync(path).size === 0) return true;
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(16);
    return readSync(fd, buf, 0, 16, 0) === 16 && buf.toString("latin1") === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

/** Read-only integrity check; undefined when healthy, else why not. Never writes the file. */
function inspectDatabase(path: string): string | undefined {
  try {
    assertPlainDbFile(path);
    if (!hasSqliteHeader(path)) return "it is not an SQLite database";
    const ro = new Database(path, { readonly: true });
    try {
      const rows = ro.query<{ quick_check: string }, []>("PRAGMA quick_check").all();
      const problems = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
      return problems.length === 0 ? undefined : problems.join("; ").replaceAll("\n", " ").slice(0, 300);
    } finally {
      ro.close();
    }
  } catch (error) {
    return errorMessage(error);
  }
}

function damagedDatabase(env: Env, detail: string): Finding {
  return finding(
    "database",
    null,
    "problem",
    `The cc-pool database ${env.dbPath} is damaged (${detail}). cc-pool leaves the file untouched.`,
    {
      fix: `Move it aside (\`mv '${env.dbPath}' '${env.dbPath}.broken'\`), then add your accounts again with \`ccp add\`.`,
    },
  );
}

/** Opens the pool for the account checks, or explains why it cannot be used. */
function checkDatabase(env: Env): { finding: Finding; db?: Db } {
  const home = lstatSync(env.ccpHome, { throwIfNoEntry: false });
  if (
    home !== undefined &&
    !home.isDirectory() &&
    !(home.isSymbolicLink() && kindOf(env.ccpHome) === "dir")
  ) {
    return {
      finding: finding(
        "database",
        null,
        "problem",
        `CCP_HOME (${env.ccpHome}) exists but is not a directory.`,
        {
          fix: "Move it aside, or point CCP_HOME at a directory.",
        },
      ),
    };
  }
  if (lstatSync(env.dbPath, { throwIfNoEntry: false }) === undefined) {
    return {
      finding: finding("database", null, "info", `No pool yet (${env.dbPath} does not exist).`, {
        fix: "Run `ccp add` to add your first subscription.",
      }),
    };
  }
  const damage = inspectDatabase(env.dbPath);
  if (damage !== undefined) return { finding: damagedDatabase(env, damage) };
  try {
    const db = openDb(env.dbPath);
    const n = listAccounts(db).length;
    return {
      db,
      finding: finding(
        "database",
        null,
        "ok",
        `${env.dbPath} (integrity ok, ${n} account${n === 1 ? "" : "s"})`,
      ),
    };
  } catch (error) {
    return {
      finding: finding("database", null, "problem", errorMessage(error), {
        fix: isCcpError(error) ? error.hint : undefined,
      }),
    };
  }
}

function loginFix(claudeBin: string | undefined, configDir: string): string {
  return `Log the account in again: \`${loginCommand(claudeBin ?? "claude", configDir)}\`.`;
}

async function checkCredential(
  store: CredentialStore,
  account: AccountRow,
  scope: Scope,
  claudeBin: string | undefined,
  nowMs: number,
): Promise<Finding> {
  const where = store.locate(account.configDir).description;
  const problem = (message: string, fix = loginFix(claudeBin, account.configDir)): Finding =>
    finding("credential", scope, "problem", message, { fix });
  try {
    if (!(await store.exists(account.configDir))) return problem(`No stored login (${where}).`);
    const blob = await store.read(account.configDir);
    const oauth = blob?.claudeAiOauth;
    if (blob === undefined) return problem(`No stored login (${where}).`);
    if (oauth === undefined || oauth.accessToken === "") {
      return problem(`The stored login (${where}) holds no Claude access token.`);
    }
    if (oauth.refreshToken === "") {
      return problem(`The stored login (${where}) has an empty refresh token: the login has ended.`);
    }
    if (oauth.refreshToken === undefined && oauth.expiresAt !== undefined && oauth.expiresAt <= nowMs) {
      return problem(`The stored login (${where}) has expired and has no refresh token.`);
    }
    return finding("credential", scope, "ok", `Stored login readable (${where}).`);
  } catch (error) {
    // Locked is not logged out: the fix is to unlock, not to log in again.
    if (isCcpError(error) && error.code === "keychain-locked")
      return problem(`The login keychain is locked: cannot check the stored login (${where}).`, error.hint);
    // Store errors name the item and the reason, never the secret.
    return problem(
      `The stored login (${where}) cannot be read: ${errorMessage(error)}`,
      isCcpError(error) && error.hint ? error.hint : loginFix(claudeBin, account.configDir),
    );
  }
}

function describeIdentity(email: string | undefined, org: string | undefined, uuid: string): string {
  return `${email ?? uuid}${org ? ` (${org})` : ""}`;
}

/** `.claude.json` parsable, identity present and matching the pool's record. */
function checkIdentity(
  db: Db,
  account: AccountRow,
  scope: Scope,
  claudeBin: string | undefined,
  fix: boolean,
): Finding[] {
  const read = inspectAccountIdentity(account.configDir);
  if (read.state === "unparsable") {
    return [
      finding("claude-json", scope, "problem", `${read.path} cannot be parsed: ${read.detail}.`, {
        fix: `cc-pool never replaces a file it cannot parse: repair it, or move it aside and log the account in again (\`${loginCommand(claudeBin ?? "claude", account.configDir)}\`).`,
      }),
    ];
  }
  if (read.state === "missing") {
    return [
      finding("claude-json", scope, "problem", `${read.path} does not exist: the account has no identity.`, {
        fix: loginFix(claudeBin, account.configDir),
      }),
    ];
  }
  const parsed = finding("claude-json", scope, "ok", `${read.path} parses.`);
  if (read.state === "no-identity") {
    return [
      parsed,
      finding("identity", scope, "problem", `Not logged in: ${read.path} has no oauthAccount.accountUuid.`, {
        fix: loginFix(claudeBin, account.configDir),
      }),
    ];
  }
  const id = read.identity;
  const who = describeIdentity(id.email, id.organizationName, id.accountUuid);
  if (account.accountUuid !== null && account.accountUuid !== id.accountUuid) {
    const recorded = account.email ?? account.accountUuid;
    if (fix) {
      writeTx(db, () => refreshIdentity(db, account));
      return [
        parsed,
        finding("identity", scope, "fixed", `Logged in as ${who}; the pool had recorded ${recorded}.`, {
          fixable: true,
          changed: [`recorded the account's identity as ${who}`],
        }),
      ];
    }
    return [
      parsed,
      finding("identity", scope, "problem", `Logged in as ${who}, but the pool recorded ${recorded}.`, {
        fix: "Run `ccp doctor --fix` to record the identity the account is logged in with.",
        fixable: true,
      }),
    ];
  }
  return [parsed, finding("identity", scope, "ok", `Logged in as ${who}.`)];
}

function listNames(names: string[]): string {
  return names.join(", ");
}

function checkAccountOverlay(env: Env, account: AccountRow, scope: Scope, fix: boolean): Finding[] {
  const paths = { baseDir: env.claudeDir, accountDir: account.configDir };
  const out: Finding[] = [];
  const before = checkOverlay(paths);
  if (before.base !== "present") return out;
  const drift = before.missing.length + before.wrong.length + before.stale.length;
  const mergeable = before.conflicts.filter((c) => c.kind === "directory" || c.name === "history.jsonl");
  let conflicts = before.conflicts;
  if ((drift > 0 || mergeable.length > 0) && fix) {
    const report = syncOverlay(paths, { mergeIntoBase: true });
    const changed = [
      ...report.merged.map(
        (m) =>
          `merged ${join(account.configDir, m.name)} into ${join(env.claudeDir, m.name)} (${m.moved} moved, ${m.duplicates} identical dropped${m.linked ? ", then linked" : ""})`,
      ),
      ...report.created
        .filter((n) => !report.merged.some((m) => m.name === n && m.linked))
        .map((n) => `linked ${n}`),
      ...report.fixed.map((f) => `repointed ${f.name} (it pointed at ${f.previousTarget})`),
      ...report.removed.map((r) => `removed the stale link ${r.name}`),
    ];
    conflicts = report.conflicts;
    if (changed.length > 0) {
      out.push(
        finding("overlay", scope, "fixed", `Relinked the shared entries of ${env.claudeDir}.`, {
          fixable: true,
          changed,
        }),
      );
    }
  } else if (drift > 0) {
    const parts = [
      before.missing.length > 0 ? `missing links: ${listNames(before.missing)}` : "",
      before.wrong.length > 0
        ? `wrong links: ${before.wrong.map((w) => `${w.name} → ${w.target}`).join(", ")}`
        : "",
      before.stale.length > 0 ? `stale links: ${listNames(before.stale.map((s) => s.name))}` : "",
    ].filter((p) => p !== "");
    out.push(
      finding("overlay", scope, "problem", `Overlay drift in ${account.configDir} (${parts.join("; ")}).`, {
        fix: "Run `ccp doctor --fix` to relink them.",
        fixable: true,
      }),
    );
  }
  for (const c of conflicts) out.push(overlayConflictFinding(env, scope, c, fix));
  if (drift === 0 && conflicts.length === 0) {
    out.push(
      finding("overlay", scope, "ok", `All ${before.ok.length} shared entries of ${env.claudeDir} linked.`),
    );
  }
  for (const f of before.foreign) {
    out.push(
      finding(
        "overlay",
        scope,
        "info",
        `${f.path} links to ${f.target}, outside ${env.claudeDir}; left alone.`,
      ),
    );
  }
  return out;
}

/** A real entry where a link belongs. cc-pool never deletes to resolve it. */
function overlayConflictFinding(
  env: Env,
  scope: Scope,
  c: ReturnType<typeof checkOverlay>["conflicts"][number],
  fixed: boolean,
): Finding {
  const baseEntry = join(env.claudeDir, c.name);
  if (c.collisions !== undefined && c.collisions.length > 0) {
    return finding("overlay", scope, "problem", `${c.message}.`, {
      fix: `Compare ${c.collisions.map((p) => join(c.path, p)).join(", ")} with the same paths under ${baseEntry}; keep one copy of each (rename or remove the other yourself), then run \`ccp doctor --fix\`.`,
    });
  }
  if (!fixed && (c.kind === "directory" || c.name === "history.jsonl")) {
    return finding("overlay", scope, "problem", `${c.message}.`, {
      fix: `Run \`ccp doctor --fix\` to move its files into ${baseEntry} (nothing is overwritten) and link it.`,
      fixable: true,
    });
  }
  return finding("overlay", scope, "problem", `${c.message}.`, {
    fix: `Move what you want to keep from ${c.path} into ${baseEntry}, delete it, then run \`ccp doctor --fix\`.`,
  });
}

/** What the last `.claude.json` merges of this account moved, so a setting that flowed can be traced. */
function checkSettingsFlow(account: AccountRow, scope: Scope): Finding[] {
  const history = readFlowHistory(join(account.configDir, ".claude.json"));
  const last = history.at(-1);
  if (last === undefined) return [];
  const parts = [
    last.toBase.length > 0 ? `to ~/.claude.json: ${last.toBase.join(", ")}` : "",
    last.toAccount.length > 0 ? `from ~/.claude.json: ${last.toAccount.join(", ")}` : "",
    last.conflicts.length > 0
      ? `changed on both sides: ${last.conflicts.map((c) => `${c.key} (${c.winner === "base" ? "~/.claude.json" : "the account"} won, newer)`).join(", ")}`
      : "",
  ].filter((p) => p !== "");
  return [
    finding(
      "settings-flow",
      scope,
      "info",
      `Last settings merge (${new Date(last.atMs).toISOString()}): ${parts.join("; ")}.`,
    ),
  ];
}

function overrideFinding(override: LoginOverride, scope: Scope): Finding {
  if (override.removed) {
    return finding(
      "login-override",
      scope,
      "info",
      `${override.source} is set: ${override.effect}; \`ccp run\` removes it from the session's environment.`,
      { fix: `Unset ${override.source} in your shell to silence this.` },
    );
  }
  const where = override.source.includes(" ") ? override.source : `${override.source} (environment)`;
  return finding(
    "login-override",
    scope,
    "problem",
    `${where}: ${override.effect.replace(/^this session/, "every pooled session")}, not the pooled account's subscription.`,
    {
      fix: override.source.includes("settings.json")
        ? `Remove it from ${override.source.split(" ")[0]} in ~/.claude (shared by every account) to run on the pool.`
        : override.source === ".claude.json primaryApiKey"
          ? "Log the account in again with its subscription (`/login` inside claude, choose the Claude account)."
          : override.source.startsWith(".claude.json")
            ? `Remove ${override.source.split(" ")[1]} from the account's .claude.json (and from ~/.claude.json, from which \`env\` flows to every account).`
            : `Unset ${override.source} before \`ccp run\` to run on the pool.`,
    },
  );
}

/** Every login override of claude-code.md §6 that applies to pooled sessions. */
function checkLoginOverrides(env: Env, accounts: AccountRow[]): Finding[] {
  const out = [...environmentOverrides(env.raw), ...settingsOverrides(env.claudeDir)].map((o) =>
    overrideFinding(o, null),
  );
  for (const account of accounts) {
    const scope = { id: account.id, name: account.name };
    for (const o of accountConfigOverrides(account.configDir)) out.push(overrideFinding(o, scope));
  }
  return out;
}

function kindOf(path: string): "dir" | "other" | "missing" {
  try {
    return statSync(path).isDirectory() ? "dir" : "other";
  } catch {
    return "missing";
  }
}

function checkBase(env: Env, fix: boolean): Finding[] {
  const base = kindOf(env.claudeDir);
  if (base === "missing" && !fix) {
    return [
      finding(
        "base",
        null,
        "problem",
        `${env.claudeDir} does not exist, so accounts share no history or settings yet.`,
        {
          fix: "Run `ccp doctor --fix` (or any `ccp run`) to create it with its shared folders.",
          fixable: true,
        },
      ),
    ];
  }
  if (base === "other") {
    return [
      finding("base", null, "problem", `${env.claudeDir} is not a folder, so accounts cannot share it.`, {
        fix: `Check what ${env.claudeDir} is; plain \`claude\` expects a folder there.`,
      }),
    ];
  }
  // A missing base only gets here with --fix: the repair creates it with its shared folders.
  return [checkBaseSharedDirs(env, fix)];
}

/** The shared dirs sessions create must exist in the base, or each account grows its own. */
function checkBaseSharedDirs(env: Env, fix: boolean): Finding {
  const { missing, blocked } = missingBaseSharedDirs(env.claudeDir);
  if (blocked.length > 0) {
    return finding(
      "base-dirs",
      null,
      "problem",
      `${blocked.map((n) => join(env.claudeDir, n)).join(", ")} ${blocked.length === 1 ? "is" : "are"} not a folder, so ${blocked.length === 1 ? "it" : "they"} cannot be shared.`,
      { fix: "Move it aside; `ccp doctor --fix` then creates the folder." },
    );
  }
  const baseMissing = kindOf(env.claudeDir) === "missing";
  if (missing.length === 0 && !baseMissing)
    return finding("base-dirs", null, "ok", `The shared folders exist in ${env.claudeDir}.`);
  if (!fix) {
    return finding(
      "base-dirs",
      null,
      "problem",
      `${env.claudeDir} lacks ${missing.join(", ")}: sessions would write them per account and history would split.`,
      {
        fix: "Run `ccp doctor --fix` (or any `ccp run`) to create the empty folders.",
        fixable: true,
      },
    );
  }
  try {
    const result = ensureBaseSharedDirs(env.claudeDir);
    const lacked = result.createdBase ? "did not exist" : `lacked ${missing.join(", ")}`;
    return finding("base-dirs", null, "fixed", `${env.claudeDir} ${lacked}.`, {
      fixable: true,
      changed: [
        ...(result.createdBase ? [`created ${env.claudeDir}`] : []),
        ...result.created.map((n) => `created the empty folder ${join(env.claudeDir, n)}`),
      ],
    });
  } catch (error) {
    return finding("base-dirs", null, "problem", errorMessage(error), {
      fix: isCcpError(error) ? error.hint : undefined,
    });
  }
}

function checkAlias(env: Env): Finding {
  try {
    const status = detectAlias({ home: env.home, shell: env.shell });
    switch (status.kind) {
      case "present":
        return finding("alias", null, "ok", `\`claude\` runs on the pool (alias in ${status.rcFile}).`);
      case "absent":
        return finding("alias", null, "info", `No \`claude\` alias in ${status.rcFile}.`, {
          fix: "Optional: `ccp add` offers it, or add `alias claude='ccp run'` yourself.",
        });
      case "conflict":
        return finding(
          "alias",
          null,
          "info",
          `${status.rcFile} already defines claude (${status.detail}); cc-pool leaves it alone.`,
        );
      case "unsupported-shell":
        return finding(
          "alias",
          null,
          "info",
          `cc-pool does not manage aliases for the shell ${status.shell ?? "(SHELL is not set)"}.`,
          { fix: "Optional: define `claude` as `ccp run` in your shell's startup file." },
        );
    }
  } catch (error) {
    return finding("alias", null, "problem", errorMessage(error), {
      fix: isCcpError(error) ? error.hint : undefined,
    });
  }
}

/** Which `claude` a program started without the alias gets (the first one on PATH). */
export function checkClaudeOnPath(env: Env): Finding {
  const { winner, real } = whichClaudeWins(env.path);
  if (winner === null) return finding("shim", null, "info", "No `claude` on PATH.");
  if (winner.ccPool) {
    return real
      ? finding(
          "shim",
          null,
          "ok",
          `\`claude\` on PATH is cc-pool (${winner.path}); it runs ${real.path} on the pool.`,
        )
      : finding(
          "shim",
          null,
          "problem",
          `\`claude\` on PATH is cc-pool (${winner.path}), but no real claude comes after it.`,
          {
            fix: "Install Claude Code further down PATH, or set CCP_CLAUDE_BIN to it.",
          },
        );
  }
  return finding(
    "shim",
    null,
    "info",
    `\`claude\` on PATH is the real one (${winner.path}): programs that start it without the alias are not pooled.`,
    { fix: "Optional: `ccp shim install` puts a pooled `claude` ahead of it." },
  );
}

/**
 * Checks the pool and, with `fix`, repairs what is safe: overlay link drift, a stale recorded
 * identity, and a missing `~/.claude/plans` (the one write to `~/.claude` cc-pool ever makes, and
 * only because the user asked for a repair). Works on a damaged database without touching it.
 */
export async function runDoctor(env: Env, options: DoctorOptions): Promise<DoctorReport> {
  const nowMs = options.nowMs ?? Date.now();
  const findings: Finding[] = [];
  const claude = await checkClaude(env, options.claudeTimeoutMs ?? CLAUDE_VERSION_TIMEOUT_MS);
  findings.push(claude.finding);

  const database = checkDatabase(env);
  findings.push(database.finding);
  const db = database.db;
  let accountCount = 0;
  if (db) {
    try {
      const accounts = listAccounts(db);
      accountCount = accounts.length;
      // Shared dirs first: the new folders are then linked by the overlay repair below.
      if (accounts.length > 0) findings.push(...checkBase(env, options.fix));
      const store = createCredentialStore(env);
      for (const account of accounts) {
        const scope = { id: account.id, name: account.name };
        let dirState: "ok" | "missing";
        try {
          // A dir swapped for a link is never entered, let alone "repaired".
          dirState = assertAccountDir(env.accountsDir, account.configDir);
        } catch (error) {
          findings.push(
            finding("account-dir", scope, "problem", errorMessage(error), {
              fix: isCcpError(error) ? error.hint : undefined,
            }),
          );
          continue;
        }
        if (dirState === "missing") {
          findings.push(
            finding("account-dir", scope, "problem", `The account dir ${account.configDir} is missing.`, {
              fix: `Remove the account (\`ccp remove ${account.id}\`) and add it again with \`ccp add\`.`,
            }),
          );
          continue;
        }
        findings.push(...checkIdentity(db, account, scope, claude.bin, options.fix));
        findings.push(await checkCredential(store, account, scope, claude.bin, nowMs));
        findings.push(...checkAccountOverlay(env, account, scope, options.fix));
        findings.push(...checkSettingsFlow(account, scope));
      }
      findings.push(...checkLoginOverrides(env, accounts));
      findings.push(...(await checkLogins(env, db, store, accounts)));
    } finally {
      db.close();
    }
  }

  findings.push(checkAlias(env));
  findings.push(checkClaudeOnPath(env));
  findings.push(await checkDaemon(env, { fix: options.fix, nowMs, hasAccounts: accountCount > 0 }));
  const problems = findings.filter((f) => f.status === "problem").length;
  const fixed = findings.filter((f) => f.status === "fixed").length;
  return { ok: problems === 0, accounts: accountCount, fixed, problems, findings };
}
