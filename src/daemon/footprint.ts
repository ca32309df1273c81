// The daemon's own process is long-lived and idle between polls: its footprint matters more than
// its speed. JavaScriptCore compiles hot functions with its optimising tiers, whose compilers are
// megabytes of code that then stay resident (and JIT workers that burn CPU). The daemon's work is
// a few requests and queries per poll, which the interpreter and the baseline tier do well.
/**
 * Scale of the JIT's tier-up thresholds in the daemon (Bun.unsafe.setJITPolicy; 1 = normal; the
 * release binary starts every command at 100, see scripts/build.ts).
 * Measured with 20 accounts at a 2 s interval (compiled binary): resident after 10 sweeps
 * ~44 MiB at 1, ~34 MiB at 100, ~33 MiB at 1000; CPU per poll lower, not higher (less compiling).
 */
export const DAEMON_JIT_POLICY = 1_000;

/** Call once, first thing in the `ccp daemon` process (never in a process that runs other work). */
export function leanDaemonRuntime(): void {
  try {
    Bun.unsafe.setJITPolicy(DAEMON_JIT_POLICY);
  } catch {
    // A runtime without the knob: the daemon runs the same, only larger.
  }
}
