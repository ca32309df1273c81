// One cc-pool refresh in its own process, so the fault suite can SIGKILL it at a named step
// (CCP_FAULT_AT) or run it on a full disk. Prints the outcome as one JSON line.
import { createFileStore } from "../../src/secrets/file-store.ts";
import { refreshAccountToken } from "../../src/usage/refresh.ts";

const [configDir, lockPath, tokenUrl, force] = process.argv.slice(2);
if (!configDir || !lockPath || !tokenUrl) {
  process.stderr.write("usage: refresh-worker.ts <configDir> <lockPath> <tokenUrl> [force]\n");
  process.exit(2);
}
const outcome = await refreshAccountToken({
  configDir,
  store: createFileStore(),
  lockPath,
  tokenUrl,
  force: force === "force",
  timeoutMs: process.env.WORKER_TIMEOUT_MS ? Number(process.env.WORKER_TIMEOUT_MS) : undefined,
  lockWaitMs: Number(process.env.WORKER_LOCK_WAIT_MS ?? 30_000),
});
process.stdout.write(`${JSON.stringify(outcome)}\n`);
