// Cleanup for tests that start the real claude's background sessions (`claude --bg`): the
// background service outlives the command, so the test that started it must end it.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The supervisor pid claude records in `<config dir>/daemon.status.json`, once it is there. */
export async function waitForSupervisor(configDir: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const pid = JSON.parse(readFileSync(join(configDir, "daemon.status.json"), "utf8")).supervisorPid;
      if (typeof pid === "number") return pid;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`no daemon.status.json in ${configDir} after --bg`);
    await Bun.sleep(100);
  }
}

/** Kills a background-service supervisor and every process under it. */
export function reapTree(root: number): void {
  const ps = Bun.spawnSync(["ps", "-eo", "pid=,ppid="]).stdout.toString();
  const children = new Map<number, number[]>();
  for (const line of ps.trim().split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const all: number[] = [];
  const walk = (pid: number): void => {
    all.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  for (const pid of all.reverse()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** claude's background service keeps sockets in /tmp/cc-daemon-<uid>/<hash>/: drop this dir's. */
export function removeRuntimeDir(configDir: string): void {
  try {
    const roster = readFileSync(join(configDir, "daemon", "roster.json"), "utf8");
    const match = /(\/[^"]*\/cc-daemon-\d+\/[0-9a-f]{8})\//.exec(roster);
    if (match?.[1]) rmSync(match[1], { recursive: true, force: true });
  } catch {
    // nothing recorded
  }
}
