// The launch path's cheap look for an interrupted credential write: when it says "nothing there"
// (and a daemon keeps logins fresh), `ccp run` skips the credential code entirely, so it must never
// miss a leftover that the full recovery would act on.
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mayHoldInterruptedWrite } from "../../src/app/launch.ts";
import { tempDir } from "../helpers/cli.ts";

const file = { secretStore: "file" } as const;

function accountDir(files: string[]): string {
  const dir = join(tempDir(), "acct-01");
  mkdirSync(dir, { recursive: true });
  for (const name of files) writeFileSync(join(dir, name), "{}", { mode: 0o600 });
  return dir;
}

describe("the launch path's look for an interrupted credential write", () => {
  test("a plain account dir (login, settings, no temp files) holds none", () => {
    expect(
      mayHoldInterruptedWrite(file, accountDir([".credentials.json", ".claude.json", "settings.json"])),
    ).toBe(false);
    expect(mayHoldInterruptedWrite(file, accountDir([]))).toBe(false);
  });

  test("cc-pool's own temp file and claude's both count", () => {
    expect(
      mayHoldInterruptedWrite(file, accountDir([".credentials.json", ".credentials.json.4242.9f3a.tmp"])),
    ).toBe(true);
    expect(mayHoldInterruptedWrite(file, accountDir([".credentials.json.tmp.1733050000"]))).toBe(true);
  });

  test("a linked credential file, or a dir that cannot be listed, is left to the full check", () => {
    const dir = accountDir([]);
    const elsewhere = join(tempDir(), "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, ".credentials.json"), "{}");
    symlinkSync(join(elsewhere, ".credentials.json"), join(dir, ".credentials.json"));
    expect(mayHoldInterruptedWrite(file, dir)).toBe(true);
    expect(mayHoldInterruptedWrite(file, join(tempDir(), "missing"))).toBe(true);
  });

  test("the Keychain store leaves no temp files to look for", () => {
    expect(
      mayHoldInterruptedWrite({ secretStore: "keychain" }, accountDir([".credentials.json.tmp.x"])),
    ).toBe(false);
  });
});
