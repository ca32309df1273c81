// The release binary starts with JavaScriptCore's tier-up thresholds scaled up (scripts/build.ts,
// `--compile-jit-policy`): a command that lives for 10 ms would otherwise pay for compiling code it
// never runs again. A process that stays up (the dashboard, `status --watch`) goes back to the
// normal policy once it settles in, so its loops still get compiled. The daemon raises it further
// instead (src/daemon/footprint.ts): its footprint matters more than its speed.

/** Back to the engine's normal JIT policy (a no-op where the runtime lacks the switch). */
export function useNormalJit(): void {
  const unsafe = (Bun as { unsafe?: { setJITPolicy?: (scale: number) => void } }).unsafe;
  if (typeof unsafe?.setJITPolicy === "function") unsafe.setJITPolicy(1);
}
