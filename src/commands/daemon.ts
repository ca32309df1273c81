import { defineCommand } from "../command.ts";
import { notImplemented } from "../errors.ts";

export default defineCommand({
  meta: {
    name: "daemon",
    description: "Run the usage poller in the foreground (started by the service)",
    hidden: true,
  },
  args: {},
  run() {
    throw notImplemented("daemon");
  },
});
