import type { CcpCommand } from "../command.ts";

type Loader = () => Promise<{ default: unknown }>;

// Order here is the order of `ccp help`. Commands load lazily: the hot path pays only for its own.
export const COMMANDS: Record<string, Loader> = {
  add: () => import("./add.ts"),
  run: () => import("./run.ts"),
  status: () => import("./status.ts"),
  select: () => import("./select.ts"),
  env: () => import("./env.ts"),
  list: () => import("./list.ts"),
  doctor: () => import("./doctor.ts"),
  login: () => import("./login.ts"),
  remove: () => import("./remove.ts"),
  rename: () => import("./rename.ts"),
  init: () => import("./init.ts"),
  service: () => import("./service.ts"),
  widget: () => import("./widget.ts"),
  statusline: () => import("./statusline.ts"),
  shim: () => import("./shim.ts"),
  completion: () => import("./completion.ts"),
  help: () => import("./help.ts"),
  daemon: () => import("./daemon.ts"),
};

export async function loadCommand(name: string): Promise<CcpCommand | undefined> {
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return loader ? ((await loader()).default as CcpCommand) : undefined;
}
