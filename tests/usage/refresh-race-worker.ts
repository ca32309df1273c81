// One contender in the refresh race test: reads the account's credential the way the daemon would,
// prints "ready", waits for "go" on stdin so both contenders start together, refreshes, and prints
// the outcome as one JSON line.
import { createFileStore } from "../../src/secrets/file-store.ts";
import { refreshAccountToken } from "../../src/usage/refresh.ts";

const [configDir, lockPath, tokenUrl] = process.argv.slice(2);
if (!configDir || !lockPath || !tokenUrl) {
  process.stderr.write("usage: refresh-race-worker.ts <configDir> <lockPath> <tokenUrl>\n");
  process.exit(2);
}
const store = createFileStore();
const seenAccessToken = (await store.read(configDir))?.claudeAiOauth?.accessToken;

process.stdout.write("ready\n");
const reader = Bun.stdin.stream().getReader();
let input = "";
while (!input.includes("\n")) {
  const { done, value } = await reader.read();
  if (done) process.exit(3);
  input += new TextDecoder().decode(value);
}

const outcome = await refreshAccountToken({
  configDir,
  store,
  lockPath,
  tokenUrl,
  seenAccessToken,
  timeoutMs: 5000,
});
process.stdout.write(`${JSON.stringify(outcome)}\n`);
process.exit(0);
