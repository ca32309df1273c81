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
mkdirSync(process.env.HOME, { recursive: true });
