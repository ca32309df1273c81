import { defineCommand } from "../command.ts";
import { env } from "../env.ts";
import { log } from "../ui/log.ts";

export default defineCommand({
  meta: { name: "init", description: "Set up the pool and start the daemon (optional: `ccp add` does this)" },
  args: {
    "no-service": { type: "boolean", description: "Do not start the daemon now" },
  },
  async run({ args }) {
    const e = env();
    const { openPool } = await import("../app/pool.ts");
    openPool(e).close();
    log.success(`Pool ready at ${e.ccpHome}.`);
    const { startServiceForInit } = await import("../app/service-start.ts");
    await startServiceForInit(e, { skip: Boolean(args["no-service"]) });
    log.info("Next: `ccp add` to pool your first subscription.");
    return 0;
  },
});
