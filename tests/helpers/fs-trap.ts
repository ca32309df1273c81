// Preloaded into `bun src/cli.ts` by tests/launch/unchanged-files.test.ts: every function of
// node:fs becomes a getter that appends "node:fs <name>" to the file named by CCP_FS_TRAP, so the
// log shows each use of the module: a call, a destructuring (`const { x } = nodeFs()`), and a
// static import, whose bindings Bun builds from the module object when it is first imported.
// Hence require() and no `import` of node:fs here: the getters must be in place before that.
const logPath = process.env.CCP_FS_TRAP;
if (logPath) {
  const fs = require("node:fs") as Record<string, unknown>;
  const append = fs.appendFileSync as (path: string, data: string) => void;
  for (const [name, value] of Object.entries(fs)) {
    if (typeof value !== "function" || /^[A-Z]/.test(name)) continue;
    Object.defineProperty(fs, name, {
      configurable: true,
      enumerable: true,
      get() {
        append(logPath, `node:fs ${name}\n`);
        return value;
      },
    });
  }
}
