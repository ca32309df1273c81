import { defineCommand } from "../command.ts";
import { env } from "../env.ts";

export default defineCommand({
  meta: {
    name: "daemon",
    description: "Run the usage poller in the foreground (started by the service)",
    hidden: true,
  },
  args: {},
  async run() {
    // Not useNormalJit (src/app/jit.ts): the daemon keeps a high tier-up threshold for good.
    const [{ leanDaemonRuntime }, { runDaemon }] = await Promise.all([
      import("../daemon/footprint.ts"),
      import("../daemon/run.ts"),
    ]);
    leanDaemonRuntime();
    const code = await runDaemon(env(), { handleSignals: true });
    // An idle keep-alive socket must not keep a stopped daemon around.
    process.exit(code);
  },
});
