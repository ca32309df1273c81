import * as v from "valibot";
import { CcpError } from "../errors.ts";
import type { CredentialBlob } from "./types.ts";

// looseObject everywhere: Claude Code owns this format and cc-pool must write back every field it
// does not know about (mcpOAuth, future additions) exactly as it found them. looseObject alone
// accepts arrays, which are not a credential.
const isPlainObject = (input: unknown): boolean =>
  typeof input === "object" && input !== null && !Array.isArray(input);

const OAuthSchema = v.pipe(
  v.custom<object>(isPlainObject, "expected an object"),
  v.looseObject({
    accessToken: v.string(),
    refreshToken: v.optional(v.string()),
    expiresAt: v.optional(v.pipe(v.number(), v.finite())),
    scopes: v.optional(v.array(v.string())),
    subscriptionType: v.optional(v.nullable(v.string())),
    rateLimitTier: v.optional(v.nullable(v.string())),
  }),
);

const BlobSchema = v.pipe(
  v.custom<object>(isPlainObject, "expected an object"),
  v.looseObject({
    claudeAiOauth: v.optional(OAuthSchema),
  }),
);

function issueSummary(issues: v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return "unexpected shape";
  const path = v.getDotPath(issue);
  // The message names expected/received types only, never the value itself.
  return path ? `field ${path}: expected ${issue.expected ?? "a different value"}` : issue.message;
}

/**
 * Parses a stored credential. `source` names where it came from (a path or a Keychain service) so
 * the error can point at it; the content never appears in the error.
 */
export function parseBlob(text: string, source: string): CredentialBlob {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corruptError(source, "not valid JSON");
  }
  const parsed = v.safeParse(BlobSchema, json);
  if (!parsed.success) throw corruptError(source, issueSummary(parsed.issues));
  return parsed.output as CredentialBlob;
}

/**
 * Validates a blob before it is written and returns it as minified JSON (Claude Code's own format).
 * The caller's object is serialised as given, so unknown fields and key order survive and an absent
 * `refreshToken` stays absent.
 */
export function serializeBlob(blob: CredentialBlob, target: string): string {
  const parsed = v.safeParse(BlobSchema, blob);
  if (!parsed.success) {
    throw new CcpError(
      "credential",
      `Refusing to write an invalid credential to ${target}: ${issueSummary(parsed.issues)}.`,
      {
        hint: "This is a bug in cc-pool; the stored credential was left unchanged.",
      },
    );
  }
  return JSON.stringify(blob);
}

function corruptError(source: string, problem: string): CcpError {
  return new CcpError("credential", `The credential in ${source} is corrupt (${problem}).`, {
    hint: "It was left untouched. Log this account in again (`claude /login` with CLAUDE_CONFIG_DIR set to its config dir) to replace it.",
  });
}
