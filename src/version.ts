import pkg from "../package.json" with { type: "json" };

// Replaced at build time by scripts/build.ts (--define); from source they fall back.
declare const CCP_BUILD_VERSION: string | undefined;
declare const CCP_BUILD_COMMIT: string | undefined;

export const VERSION: string = typeof CCP_BUILD_VERSION === "string" ? CCP_BUILD_VERSION : pkg.version;
export const COMMIT: string = typeof CCP_BUILD_COMMIT === "string" ? CCP_BUILD_COMMIT : "source";

export function versionLine(): string {
  return `cc-pool ${VERSION} (${COMMIT})`;
}
