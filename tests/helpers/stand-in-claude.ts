// A stand-in for the `claude` CLI, for tests that do not need the real one.
//   claude auth login   writes a credential and an identity into $CLAUDE_CONFIG_DIR, then stays
//                       open like the real login (until signalled). FAKE_LOGIN_MODE: ok (default) |
//                       fail (exit 1, no identity) | hang (never log in) | exit (log in, then exit 0);
//                       FAKE_IGNORE_TERM=1 makes it ignore SIGTERM (only SIGKILL ends it);
//                       `--email <addr>` is the login's address; FAKE_LOGIN_RECORD logs the argv
//   claude --version    prints a version
//   anything else       appends {argv, env, pid} as one JSON line to $FAKE_CLAUDE_RECORD, then
//                       sleeps FAKE_CLAUDE_SLEEP_MS and exits FAKE_CLAUDE_EXIT (default 0);
//                       FAKE_CLAUDE_SELF_SIGNAL kills itself with that signal; FAKE_CLAUDE_READY
//                       names a file it writes its pid to once running
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const args = process.argv.slice(2);
const dir = process.env.CLAUDE_CONFIG_DIR;

function writeJson(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

if (args[0] === "--version") {
  console.log("2.1.999 (Claude Code)");
  process.exit(0);
}

if (args[0] === "auth" && args[1] === "login") {
  const mode = process.env.FAKE_LOGIN_MODE ?? "ok";
  if (process.env.FAKE_LOGIN_RECORD)
    appendFileSync(process.env.FAKE_LOGIN_RECORD, `${JSON.stringify({ argv: args })}\n`);
  if (!dir) {
    console.error("stand-in claude: CLAUDE_CONFIG_DIR is not set");
    process.exit(3);
  }
  if (process.env.FAKE_IGNORE_TERM === "1") process.on("SIGTERM", () => {});
  console.log("Opening browser to sign in…");
  if (mode === "fail") {
    console.error("Login failed.");
    process.exit(1);
  }
  if (mode !== "hang") {
    await Bun.sleep(Number(process.env.FAKE_LOGIN_DELAY_MS ?? 300));
    // Like the real one, `--email <addr>` pre-fills the address the login is for.
    const emailAt = args.indexOf("--email");
    const emailArg = emailAt >= 0 ? args[emailAt + 1] : undefined;
    const email = process.env.FAKE_EMAIL ?? emailArg ?? `user-${basename(dir)}@example.com`;
    const uuid = createHash("sha256").update(email).digest("hex").slice(0, 32);
    const token = process.env.FAKE_ACCESS_TOKEN ?? `sk-ant-oat01-standin-${uuid.slice(0, 12)}`;
    writeJson(join(dir, ".credentials.json"), {
      claudeAiOauth: {
        accessToken: token,
        refreshToken: process.env.FAKE_REFRESH_TOKEN ?? `sk-ant-ort01-standin-${uuid.slice(0, 12)}`,
        expiresAt: Date.now() + 8 * 3600_000,
        scopes: ["user:inference", "user:profile"],
        subscriptionType: "max",
      },
    });
    const configPath = join(dir, ".claude.json");
    const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, "utf8")) : {};
    config.oauthAccount = {
      accountUuid: uuid,
      emailAddress: email,
      organizationUuid: `org-${uuid.slice(0, 8)}`,
      organizationName: process.env.FAKE_ORG ?? `${email}'s Organization`,
    };
    writeJson(configPath, config);
    console.log(`Logged in as ${email}`);
    if (mode === "exit") process.exit(0);
  }
  // The real claude stays in its UI after login until it is closed.
  setInterval(() => {}, 60_000);
  await new Promise(() => {});
}

const record = process.env.FAKE_CLAUDE_RECORD;
if (record) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && /^(CLAUDE_|ANTHROPIC_|CCP_)/.test(k)) env[k] = v;
  }
  appendFileSync(record, `${JSON.stringify({ argv: args, env, pid: process.pid, cwd: process.cwd() })}\n`);
}
const selfSignal = process.env.FAKE_CLAUDE_SELF_SIGNAL;
if (selfSignal) process.kill(process.pid, selfSignal as NodeJS.Signals);
if (process.env.FAKE_CLAUDE_READY) writeFileSync(process.env.FAKE_CLAUDE_READY, String(process.pid));
const sleepMs = Number(process.env.FAKE_CLAUDE_SLEEP_MS ?? 0);
if (sleepMs > 0) await Bun.sleep(sleepMs);
process.exit(Number(process.env.FAKE_CLAUDE_EXIT ?? 0));
