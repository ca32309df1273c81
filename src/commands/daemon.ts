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
    const [{ runDaemon }, { useNormalJit }] = await Promise.all([
      import("../daemon/run.ts"),
      import("../app/jit.ts"),
    ]);
    useNormalJit();
    const code = await runDaemon(env(), { handleSignals: true });
    // An idle keep-alive socket must not keep a stopped daemon around.
    process.exit(code);
  },
});
