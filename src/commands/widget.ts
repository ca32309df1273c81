import { defineCommand } from "../command.ts";
import { usageError } from "../errors.ts";
import { WIDGET_FORMATS, type WidgetFormat } from "../widget/render.ts";
import { writeOut } from "../ui/output.ts";

export default defineCommand({
  meta: {
    name: "widget",
    description: "Show pool headroom in the menu bar (macOS) or the status bar (Linux)",
  },
  args: {
    uninstall: { type: "boolean", description: "Remove what `ccp widget` installed" },
    render: {
      type: "enum",
      options: [...WIDGET_FORMATS],
      description: "Print the widget text for one bar (run by the installed scripts)",
      valueHint: "bar",
      hidden: true,
    },
  },
  async run({ args }) {
    const { env } = await import("../env.ts");
    const e = env();
    if (args.render !== undefined) {
      if (args.uninstall) throw usageError("`--render` and `--uninstall` do not go together.");
      const { renderWidgetNow } = await import("../widget/command.ts");
      writeOut(renderWidgetNow(e, args.render as WidgetFormat));
      return 0;
    }
    const { runWidgetInstall, runWidgetUninstall } = await import("../widget/command.ts");
    return args.uninstall ? runWidgetUninstall(e) : runWidgetInstall(e);
  },
});
