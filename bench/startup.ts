// Start-up cost of the compiled binary against a compiled Bun hello-world, from one interleaved run.
// Usage: bun bench/startup.ts [rounds]
import { buildCcp, buildHelloWorld, interleave, report } from "./lib.ts";

const rounds = Number(process.argv[2] ?? 40);
const [ccp, hello] = await Promise.all([buildCcp(), buildHelloWorld()]);
const medians = interleave(
  [
    { name: "hello-world (compiled bun)", cmd: [hello] },
    { name: "ccp --version", cmd: [ccp, "--version"] },
    { name: "ccp help", cmd: [ccp, "help"] },
  ],
  rounds,
);
console.log(`median of ${rounds} interleaved runs each`);
report(medians, "hello-world (compiled bun)");
