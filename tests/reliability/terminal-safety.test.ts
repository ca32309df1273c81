// Untrusted strings on the terminal: every field cc-pool prints but did not write (email, org name,
// account name, the cwd, echoed argv) × every class of control, bidi and invisible character ×
// every command that prints it. Nothing may reach the terminal raw; JSON keeps the data exact.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareAccountDir, recordAccount } from "../../src/app/accounts.ts";
import { openPool } from "../../src/app/pool.ts";
import { buildStatusModel } from "../../src/app/status.ts";
import { loadEnv } from "../../src/env.ts";
import { makeClock } from "../../src/ui/status/clock.ts";
import { renderPlain } from "../../src/ui/status/plain.ts";
import { renderDashboard } from "../../src/ui/status/render.ts";
import { makeWorld, reapStrayStandIns } from "../accounts/fixture.ts";
import { runCli, tempDir } from "../helpers/cli.ts";
import { pathWith, standInClaudeDir } from "../helpers/claude-bin.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type TestPool, makePool, poolVars } from "../helpers/pool.ts";
import { makeBase } from "../helpers/sacred.ts";

/** One of each kind of character that can act on a terminal or hide/reorder what it shows. */
export const HOSTILE_CLASSES: Record<string, string> = {
  "OSC 0 (title)": "\u001b]0;owned\u0007",
  "OSC 52 (clipboard)": "\u001b]52;c;b3duZWQ=\u0007",
  "CSI 2J (clear)": "\u001b[2J",
  "C1 CSI": "\u009b2J",
  "C1 NEL": "\u0085",
  newline: "\n",
  "carriage return": "\r",
  tab: "\t",
  BEL: "\u0007",
  backspace: "\b",
  DEL: "\u007f",
  NUL: "\u0000",
  "RLO override": "\u202e",
  "LRE embedding": "\u202a",
  "RLI isolate": "\u2067",
  "ALM mark": "\u061c",
  "RLM mark": "\u200f",
  "zero-width space": "\u200b",
  "zero-width joiner": "\u200d",
  "word joiner": "\u2060",
  BOM: "\ufeff",
  "line separator": "\u2028",
  "paragraph separator": "\u2029",
};
const CLASSES = Object.entries(HOSTILE_CLASSES);
/** Any character that must never reach the terminal raw; line breaks and tabs are judged by marker. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

let fake: FakeAnthropic;
let pool: TestPool;
let renderings = 0;
let rawControls = 0;
let jsonValues = 0;
let jsonMismatches = 0;
const failures: string[] = [];
/** Where the running test's failures start, so one test's failures do not fail the next. */
let start = 0;
beforeEach(() => {
  start = failures.length;
});

type Field = "name" | "email" | "org";
const marked = (field: Field, i: number, ctrl: string): string =>
  field === "email" ? `e${i}«${ctrl}»@example.com` : `${field}${i}«${ctrl}»x`;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  pool = await makePool(
    fake,
    CLASSES.map((_, i) => ({ name: `acct${i}`, util5Pct: 10 + i, util7Pct: 5 })),
    { PATH: pathWith(standInClaudeDir()), NO_COLOR: "1", CCP_DAEMON_AUTOSTART: "0" },
  );
  // Hostile values where they come from: the account's own .claude.json (identity) and the pool's
  // record of it (a row written before names were checked, or by an older cc-pool).
  const db = new Database(join(pool.vars.CCP_HOME as string, "pool.db"));
  CLASSES.forEach(([, ctrl], i) => {
    const account = pool.accounts[i];
    if (!account) return;
    const path = join(account.configDir, ".claude.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    config.oauthAccount.emailAddress = marked("email", i, ctrl);
    config.oauthAccount.organizationName = marked("org", i, ctrl);
    writeFileSync(path, JSON.stringify(config));
    db.query("UPDATE accounts SET name = ?, email = ?, org_name = ? WHERE id = ?").run(
      marked("name", i, ctrl),
      marked("email", i, ctrl),
      marked("org", i, ctrl),
      account.id,
    );
  });
  db.close();
});
afterAll(async () => {
  await fake.stop();
  console.log(
    `terminal safety: ${renderings.toLocaleString("en-US")} renderings, ${rawControls} raw controls; JSON: ${jsonValues} values, ${jsonMismatches} altered`,
  );
  if (failures.length > 0) console.log(failures.slice(0, 20).join("\n"));
});

/** Counts one rendering of each (field, class) in `output` and records any raw character. */
function judge(where: string, output: string, fields: Field[], only?: number): void {
  CLASSES.forEach(([label, ctrl], i) => {
    if (only !== undefined && i !== only) return;
    for (const field of fields) {
      renderings++;
      if (output.includes(`«${ctrl}»`)) {
        rawControls++;
        failures.push(`${where}: ${field} with ${label} printed raw`);
      }
    }
  });
  const raw = RAW.exec(output);
  if (raw) {
    rawControls++;
    failures.push(`${where}: raw U+${raw[0].charCodeAt(0).toString(16).padStart(4, "0")} in the output`);
  }
}

describe("every command that prints an account's fields", () => {
  const cases: [string[], Field[]][] = [
    [["list"], ["name", "email", "org"]],
    [["status", "--plain"], ["name"]],
    [["select", "--explain"], ["name"]],
    [["doctor"], ["name", "email", "org"]],
    [["completion", "--accounts"], ["name"]],
  ];
  for (const [args, fields] of cases) {
    test(`ccp ${args.join(" ")}`, async () => {
      const r = await runCli(args, { env: pool.vars, timeoutMs: 60_000 });
      const out = args[0] === "completion" ? r.stdout.replaceAll("\t", " ") : r.stdout + r.stderr;
      judge(`ccp ${args.join(" ")}`, out, fields);
      expect(failures.slice(start)).toEqual([]);
    }, 90_000);
  }

  test("the announce line of ccp run, for each account", async () => {
    for (let i = 0; i < CLASSES.length; i++) {
      const account = pool.accounts[i];
      if (!account) continue;
      const r = await runCli(["run", "-p", "x"], {
        env: { ...pool.vars, CCP_ACCOUNT: String(account.id) },
        timeoutMs: 60_000,
      });
      judge(`ccp run (account ${i})`, r.stderr, ["name"], i);
    }
    expect(failures.slice(start)).toEqual([]);
  }, 240_000);

  test("the dashboard and the plain table, rendered for each account and a hostile cwd", () => {
    const env = loadEnv(pool.vars);
    const db = openPool(env);
    try {
      const clock = makeClock("UTC", "en-US");
      CLASSES.forEach(([label, ctrl], i) => {
        const cwd = `/work/cwd${i}«${ctrl}»`;
        const model = buildStatusModel(db, Date.now(), cwd);
        const account = pool.accounts[i];
        const frame = renderDashboard(
          model,
          { selectedId: account?.id ?? null, help: false, message: null, sampling: false },
          { width: 160, height: 200, color: false, clock },
        );
        judge(`dashboard (account ${i})`, frame, ["name", "email", "org"], i);
        renderings++;
        if (frame.includes(`«${ctrl}»`)) failures.push(`dashboard title: cwd with ${label} printed raw`);
        judge(`plain (account ${i})`, renderPlain(model, { color: false, clock }), ["name"], i);
      });
    } finally {
      db.close();
    }
    expect(failures.slice(start)).toEqual([]);
  });

  test("JSON output keeps every value exactly", async () => {
    const list = JSON.parse((await runCli(["list", "--json"], { env: pool.vars })).stdout);
    const status = JSON.parse((await runCli(["status", "--json"], { env: pool.vars })).stdout);
    CLASSES.forEach(([label, ctrl], i) => {
      const id = pool.accounts[i]?.id;
      for (const [what, rows] of [
        ["list --json", list.accounts],
        ["status --json", status.accounts],
      ] as const) {
        const row = (rows as { id: number; name: string; email: string }[]).find((a) => a.id === id);
        jsonValues += 2;
        if (row?.name !== marked("name", i, ctrl) || row?.email !== marked("email", i, ctrl)) {
          jsonMismatches++;
          failures.push(`${what}: ${label} value altered`);
        }
      }
    });
    expect(failures.slice(start)).toEqual([]);
  }, 90_000);
});

describe("on the way in", () => {
  test("names with control or bidi characters are refused; an email carrying them is not used as a name", async () => {
    for (const [label, ctrl] of CLASSES) {
      // A tab is harmless inside a name (spaces are allowed); argv cannot carry a NUL.
      if (ctrl === "\t" || ctrl === "\u0000") continue;
      const r = await runCli(["rename", String(pool.accounts[0]?.id), `a${ctrl}b`], { env: pool.vars });
      renderings++;
      if (r.code !== 2) failures.push(`rename to a name with ${label}: exit ${r.code}`);
      judge(`rename with ${label}`, r.stderr.replaceAll("\n", " "), []);
    }
    // The email of a new login becomes its name only when it is a valid name.
    const home = join(tempDir("in-"), "home");
    mkdirSync(home, { recursive: true });
    makeBase(home);
    const env = loadEnv(poolVars(home, undefined));
    const db = openPool(env);
    try {
      const prepared = prepareAccountDir(env, db);
      const path = join(prepared.configDir, ".claude.json");
      const config = JSON.parse(readFileSync(path, "utf8"));
      config.oauthAccount = { accountUuid: "u-1", emailAddress: "a\u001b]0;x\u0007@example.com" };
      writeFileSync(path, JSON.stringify(config));
      const recorded = recordAccount(db, prepared, undefined, Date.now());
      expect(RAW.test(recorded.name)).toBe(false);
    } finally {
      db.close();
    }
    expect(failures.slice(start)).toEqual([]);
  }, 120_000);

  test("echoed argv is escaped and cut short", async () => {
    const long = `x${"\u001b[2J".repeat(30_000)}`;
    const argvCases: string[][] = [
      ["select", "--wai\u001b]0;t\u0007"],
      ["nosuch\u001b[2J"],
      ["remove", long],
      ["rename", "\u202eevil", "x"],
      ["select", "--explain", "extra\u001b]52;c;eA==\u0007"],
      ["completion", "bash\u001b[2J"],
      ["help", "x\u009b2J"],
    ];
    for (const args of argvCases) {
      const r = await runCli(args, { env: pool.vars });
      renderings++;
      const where = `ccp ${JSON.stringify(args).slice(0, 60)}`;
      if (r.code === 0) failures.push(`${where}: exit 0`);
      if (r.stderr.length > 2000) failures.push(`${where}: ${r.stderr.length} characters of error`);
      judge(where, r.stderr, []);
    }
    expect(failures.slice(start)).toEqual([]);
  }, 120_000);

  test("ccp add with a login whose email and org carry each class", async () => {
    const world = makeWorld({ vars: { NO_COLOR: "1", CCP_DAEMON_AUTOSTART: "0", FAKE_LOGIN_MODE: "exit" } });
    try {
      for (const [i, [label, ctrl]] of CLASSES.entries()) {
        if (ctrl === "\u0000") continue; // The environment cannot carry a NUL.
        const email = marked("email", 100 + i, ctrl);
        const org = marked("org", 100 + i, ctrl);
        const r = await runCli(["add", "--yes", "--run-login", "--no-alias"], {
          env: { ...world.vars, FAKE_EMAIL: email, FAKE_ORG: org },
          timeoutMs: 60_000,
        });
        // The stand-in login prints its own line to the inherited terminal, as claude would.
        const ours = (r.stdout + r.stderr).replaceAll(`Logged in as ${email}\n`, "");
        if (r.code !== 0) failures.push(`add with ${label}: exit ${r.code}: ${r.stderr.slice(0, 200)}`);
        renderings += 2;
        if (ours.includes(`«${ctrl}»`)) {
          rawControls++;
          failures.push(`ccp add: email or org with ${label} printed raw`);
        }
        const raw = RAW.exec(ours);
        if (raw) {
          rawControls++;
          failures.push(`ccp add with ${label}: raw U+${raw[0].charCodeAt(0).toString(16)}`);
        }
      }
      const listed = JSON.parse((await runCli(["list", "--json"], { env: world.vars })).stdout);
      for (const a of listed.accounts as { name: string }[]) {
        if (RAW.test(a.name) || a.name.includes("\t"))
          failures.push(`a name was made from a hostile email: ${JSON.stringify(a.name)}`);
      }
    } finally {
      reapStrayStandIns();
    }
    expect(failures.slice(start)).toEqual([]);
  }, 240_000);
});
