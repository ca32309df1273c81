import type { Env } from "../env.ts";
import { log } from "../ui/log.ts";

/** What `init` and `add` do about the daemon. */
export async function startServiceForInit(_env: Env, options: { skip: boolean }): Promise<void> {
  if (options.skip) {
    log.dim("Daemon not started (--no-service); `ccp service install` starts it later.");
    return;
  }
  log.dim("Daemon not started: the background service is not part of this build yet.");
}
