// Named points in the credential write protocol where the fault suite (tests/reliability/) stops
// or kills a real cc-pool process. Inert unless CCP_FAULT_AT is set, which nothing but the tests
// does: `CCP_FAULT_AT=<step>:kill` SIGKILLs the process at that step; `<step>:pause` writes
// `$CCP_FAULT_DIR/<step>.paused` and waits for `$CCP_FAULT_DIR/<step>.go` (so a test can fill the
// disk or write a rival credential at exactly that moment).
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type FaultStep =
  | "locked"
  | "before-request"
  | "after-answer"
  | "after-temp-write"
  | "after-rename"
  | "before-db-write";

export async function faultPoint(step: FaultStep): Promise<void> {
  const spec = process.env.CCP_FAULT_AT;
  if (!spec) return;
  for (const entry of spec.split(",")) {
    const [at, action] = entry.split(":");
    if (at !== step) continue;
    if (action === "kill") {
      process.kill(process.pid, "SIGKILL");
      // SIGKILL is not delivered synchronously everywhere; never run past the step.
      await new Promise(() => undefined);
    }
    if (action === "pause") {
      const dir = process.env.CCP_FAULT_DIR ?? "/tmp";
      writeFileSync(join(dir, `${step}.paused`), String(process.pid));
      while (!existsSync(join(dir, `${step}.go`))) await Bun.sleep(20);
    }
  }
}
