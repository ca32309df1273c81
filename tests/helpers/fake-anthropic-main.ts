// Runs the fake Anthropic server as its own process: prints its base URL on the first stdout line,
// then serves until SIGTERM/SIGINT (or, with --exit-on-stdin-close, until its parent goes away).
// Steer it through its control API (`connectFakeAnthropic(url)`).
import { startFakeAnthropic } from "./fake-anthropic.ts";

const fake = await startFakeAnthropic();
process.stdout.write(`${fake.url}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Never linger: exit even if closing open connections hangs.
  setTimeout(() => process.exit(0), 2000).unref();
  await fake.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());

if (process.argv.includes("--exit-on-stdin-close")) {
  process.stdin.on("data", () => undefined);
  process.stdin.on("end", () => void shutdown());
  process.stdin.on("close", () => void shutdown());
}
