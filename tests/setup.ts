// Preloaded by `bun test`: every test process gets a throwaway HOME and CCP_HOME and an environment
// with no Anthropic, Claude or cc-pool variables, so nothing can reach the real home, the real
// Keychain or the network by accident.
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

for (const key of Object.keys(process.env)) {
  if (/^(ANTHROPIC_|CLAUDE_|CCP_)/.test(key)) delete process.env[key];
}
const root = realpathSync(mkdtempSync(join(tmpdir(), "ccp-test-")));
process.env.HOME = join(root, "home");
process.env.CCP_HOME = join(root, "home", ".cc-pool");
process.env.CCP_SECRET_STORE = "file";
process.env.NO_COLOR = "1";
// Tests that want a daemon start one themselves; no command may spawn one behind their back.
process.env.CCP_DAEMON_AUTOSTART = "0";
process.env.CCP_TEST_ROOT = root;
// Endpoints nobody listens on (the discard port): a command that samples or refreshes without a
// fake server configured fails fast on 127.0.0.1 instead of reaching Anthropic.
process.env.CCP_USAGE_URL = "http://127.0.0.1:9/api/oauth/usage";
process.env.CCP_PROFILE_URL = "http://127.0.0.1:9/api/oauth/profile";
process.env.CCP_TOKEN_URL = "http://127.0.0.1:9/v1/oauth/token";
mkdirSync(process.env.HOME, { recursive: true });
