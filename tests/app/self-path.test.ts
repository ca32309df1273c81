import { describe, expect, test } from "bun:test";
import { sourceEntry, stableSelfCommand } from "../../src/app/self-path.ts";

describe("sourceEntry", () => {
  test("is the script from source and nothing inside a compiled binary", () => {
    expect(sourceEntry("/repo/src/cli.ts")).toBe("/repo/src/cli.ts");
    expect(sourceEntry("src/cli.js")).toBe("src/cli.js");
    expect(sourceEntry("/$bunfs/root/cc-pool")).toBeUndefined();
    expect(sourceEntry("B:/~BUN/root/cc-pool")).toBeUndefined();
    expect(sourceEntry("daemon")).toBeUndefined();
    expect(sourceEntry(undefined)).toBeUndefined();
  });
});

describe("stableSelfCommand", () => {
  const files: Record<string, string> = {
    "/usr/local/bin/ccp": "/usr/local/Cellar/cc-pool/9.9.9/bin/cc-pool",
    "/usr/local/Cellar/cc-pool/9.9.9/bin/cc-pool": "/usr/local/Cellar/cc-pool/9.9.9/bin/cc-pool",
    "/usr/local/opt/cc-pool/bin/cc-pool": "/usr/local/Cellar/cc-pool/9.9.9/bin/cc-pool",
  };
  const fs = {
    realpath: (p: string) => {
      const r = files[p];
      if (!r) throw new Error("ENOENT");
      return r;
    },
    exists: (p: string) => p in files,
  };
  const compiled = {
    ...fs,
    execPath: "/usr/local/Cellar/cc-pool/9.9.9/bin/cc-pool",
    script: "/$bunfs/root/cc-pool",
  };

  test("prefers the path it was invoked through, then a ccp on PATH, then Homebrew's opt path", () => {
    expect(stableSelfCommand({ ...compiled, argv0: "/usr/local/bin/ccp", pathEnv: "" })).toEqual([
      "/usr/local/bin/ccp",
    ]);
    expect(stableSelfCommand({ ...compiled, pathEnv: "/usr/bin:/usr/local/bin" })).toEqual([
      "/usr/local/bin/ccp",
    ]);
    expect(stableSelfCommand({ ...compiled, pathEnv: "/usr/bin" })).toEqual([
      "/usr/local/opt/cc-pool/bin/cc-pool",
    ]);
  });

  test("from source: bun and the absolute entry", () => {
    expect(
      stableSelfCommand({ execPath: "/usr/bin/bun", script: "src/cli.ts", pathEnv: "", cwd: "/repo" }),
    ).toEqual(["/usr/bin/bun", "/repo/src/cli.ts"]);
  });
});
