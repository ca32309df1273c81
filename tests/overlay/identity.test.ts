import { beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  deriveAccountName,
  PERSONAL_EMAIL_DOMAINS,
  slugifyAccountName,
} from "../../src/overlay/account-name.ts";
import { inspectAccountIdentity, readAccountIdentity } from "../../src/overlay/identity.ts";
import { makeTempHome } from "../helpers/sacred.ts";

let accountDir: string;

function writeClaudeJson(text: string): void {
  writeFileSync(join(accountDir, ".claude.json"), text, { mode: 0o600 });
}

describe("readAccountIdentity", () => {
  beforeEach(() => {
    accountDir = join(makeTempHome(), "acct-01");
    mkdirSync(accountDir);
  });

  test("maps oauthAccount of the account's own .claude.json", () => {
    writeClaudeJson(
      JSON.stringify({
        theme: "dark",
        oauthAccount: {
          accountUuid: "uuid-1",
          emailAddress: "alice@gmail.com",
          organizationUuid: "org-1",
          organizationName: "alice@gmail.com's Organization",
          displayName: "Alice",
          organizationRateLimitTier: "default_claude_max_20x",
          somethingNew: { nested: true },
        },
      }),
    );
    const expected = {
      accountUuid: "uuid-1",
      email: "alice@gmail.com",
      organizationUuid: "org-1",
      organizationName: "alice@gmail.com's Organization",
      displayName: "Alice",
    };
    expect(readAccountIdentity(accountDir)).toEqual(expected);
    expect(inspectAccountIdentity(accountDir)).toEqual({
      state: "ok",
      path: join(accountDir, ".claude.json"),
      identity: expected,
    });
  });

  test("fields of an unexpected type read as absent instead of failing", () => {
    writeClaudeJson(
      JSON.stringify({
        oauthAccount: { accountUuid: "uuid-1", emailAddress: 7, organizationName: null, displayName: "" },
      }),
    );
    expect(readAccountIdentity(accountDir)).toEqual({
      accountUuid: "uuid-1",
      email: undefined,
      organizationUuid: undefined,
      organizationName: undefined,
      displayName: undefined,
    });
  });

  test("without accountUuid the login has not finished", () => {
    writeClaudeJson(JSON.stringify({ oauthAccount: { emailAddress: "alice@gmail.com" } }));
    expect(readAccountIdentity(accountDir)).toBeUndefined();
    expect(inspectAccountIdentity(accountDir).state).toBe("no-identity");

    writeClaudeJson(JSON.stringify({ oauthAccount: { accountUuid: " " } }));
    expect(inspectAccountIdentity(accountDir).state).toBe("no-identity");

    writeClaudeJson(JSON.stringify({ oauthAccount: "weird", hasCompletedOnboarding: true }));
    expect(inspectAccountIdentity(accountDir).state).toBe("no-identity");

    writeClaudeJson(JSON.stringify({ hasCompletedOnboarding: true }));
    expect(inspectAccountIdentity(accountDir).state).toBe("no-identity");
  });

  test("a missing file and an unparsable file are told apart", () => {
    expect(readAccountIdentity(accountDir)).toBeUndefined();
    expect(inspectAccountIdentity(accountDir)).toEqual({
      state: "missing",
      path: join(accountDir, ".claude.json"),
    });

    writeClaudeJson('{"oauthAccount": {"accountUuid": "uuid-1"');
    expect(readAccountIdentity(accountDir)).toBeUndefined();
    const read = inspectAccountIdentity(accountDir);
    expect(read.state).toBe("unparsable");
    expect(read.path).toBe(join(accountDir, ".claude.json"));
    expect(read.state === "unparsable" && read.detail).toContain("not valid JSON");
  });
});

describe("deriveAccountName", () => {
  test.each([
    ["alice@gmail.com", undefined, "alice"],
    ["Alice.Smith@GMail.com", undefined, "alice.smith"],
    ["alice+work@gmail.com", undefined, "alice-work"],
    ["bob@proton.me", "bob@proton.me's Organization", "bob"],
    ["carol@icloud.com", "Acme Corp", "carol"],
  ])("personal address %s (org %s) keeps its user part: %s", (email, organizationName, name) => {
    expect(deriveAccountName({ email, organizationName })).toBe(name);
  });

  test.each([
    ["bob@acme.io", "Acme Corp", "acme-corp"],
    ["bob@acme.io", "Café Ünïon, Inc.", "cafe-union-inc"],
    ["bob@acme.io", "bob@acme.io's Organization", "acme"],
    ["bob@acme.io", "Bob Smith's Organisation", "acme"],
    ["bob@acme.io", "bob@acme.io", "acme"],
    ["bob@eng.acme.io", undefined, "eng"],
    [undefined, "Zeta Labs", "zeta-labs"],
  ])("organisation address %s (org %s) becomes the organisation: %s", (email, organizationName, name) => {
    expect(deriveAccountName({ email, organizationName })).toBe(name);
  });

  test("nothing usable gives undefined", () => {
    expect(deriveAccountName({ email: undefined, organizationName: undefined })).toBeUndefined();
    expect(deriveAccountName({ email: "not-an-address", organizationName: "!!!" })).toBeUndefined();
  });

  test("names are shell-safe and bounded", () => {
    const name = deriveAccountName({ email: "x@corp.example", organizationName: "A".repeat(80) });
    expect(name).toBe("a".repeat(32));
    expect(slugifyAccountName("--Weird   Name!!..")).toBe("weird-name");
    expect(slugifyAccountName("a/b\\c d")).toBe("a-b-c-d");
  });

  test("the personal domain list is lower-case and has no duplicates", () => {
    expect(PERSONAL_EMAIL_DOMAINS.every((d) => d === d.toLowerCase())).toBe(true);
    expect(new Set(PERSONAL_EMAIL_DOMAINS).size).toBe(PERSONAL_EMAIL_DOMAINS.length);
    for (const d of ["gmail.com", "icloud.com", "outlook.com", "hotmail.com", "yahoo.com", "proton.me"]) {
      expect(PERSONAL_EMAIL_DOMAINS).toContain(d);
    }
  });
});
