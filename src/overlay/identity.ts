import { join } from "node:path";
import * as v from "valibot";
import { readAccountJsonObject } from "./json-file.ts";

/** Who an account dir is logged in as, from its own `.claude.json` `oauthAccount`. */
export interface AccountIdentity {
  accountUuid: string;
  email: string | undefined;
  organizationUuid: string | undefined;
  organizationName: string | undefined;
  displayName: string | undefined;
}

export type IdentityRead =
  | { state: "ok"; path: string; identity: AccountIdentity }
  /** The file is fine but nobody has logged in yet (no `oauthAccount.accountUuid`). */
  | { state: "no-identity"; path: string }
  | { state: "missing"; path: string }
  | { state: "unparsable"; path: string; detail: string };

// Claude Code owns this shape and changes it between releases: a field of an unexpected type reads
// as absent instead of failing the whole identity.
const LenientString = v.fallback(v.optional(v.string()), undefined);

const OAuthAccountSchema = v.looseObject({
  accountUuid: LenientString,
  emailAddress: LenientString,
  organizationUuid: LenientString,
  organizationName: LenientString,
  displayName: LenientString,
});

const ClaudeJsonSchema = v.looseObject({
  oauthAccount: v.fallback(v.optional(OAuthAccountSchema), undefined),
});

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** Reads an account's identity and tells "not logged in yet" apart from "file unreadable" (for doctor). */
export function inspectAccountIdentity(accountDir: string): IdentityRead {
  const path = join(accountDir, ".claude.json");
  const read = readAccountJsonObject(path);
  if (read.state !== "ok") return read.state === "missing" ? { state: "missing", path } : { ...read, path };
  const parsed = v.safeParse(ClaudeJsonSchema, read.value);
  const account = parsed.success ? parsed.output.oauthAccount : undefined;
  const accountUuid = nonEmpty(account?.accountUuid);
  if (account === undefined || accountUuid === undefined) return { state: "no-identity", path };
  return {
    state: "ok",
    path,
    identity: {
      accountUuid,
      email: nonEmpty(account.emailAddress),
      organizationUuid: nonEmpty(account.organizationUuid),
      organizationName: nonEmpty(account.organizationName),
      displayName: nonEmpty(account.displayName),
    },
  };
}

/** The account's identity; undefined until its login has finished (or when the file is unreadable). */
export function readAccountIdentity(accountDir: string): AccountIdentity | undefined {
  const read = inspectAccountIdentity(accountDir);
  return read.state === "ok" ? read.identity : undefined;
}
