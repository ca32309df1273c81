import type { CredentialBlob } from "../../src/secrets/types.ts";

/** A realistic blob with fields cc-pool does not know about, which must survive a write. */
export function fullBlob(accessToken = "sk-ant-oat01-test-access"): CredentialBlob {
  return {
    claudeAiOauth: {
      accessToken,
      refreshToken: "sk-ant-ort01-test-refresh",
      expiresAt: 1_767_225_600_123,
      scopes: ["user:inference", "user:profile"],
      subscriptionType: "max",
      rateLimitTier: "default_claude_max_20x",
      futureOauthField: { nested: [1, 2, 3] },
    },
    mcpOAuth: { "server-a": { accessToken: "mcp-token", expiresAt: 1 } },
    futureTopLevel: true,
  };
}

/**
 * A blob whose every part names its writer and sequence, so a torn mix of two is detectable.
 * `padding` makes each write big enough that a non-atomic writer would be caught mid-way.
 */
export function writerBlob(writer: string, seq: number, padding: number): CredentialBlob {
  return {
    claudeAiOauth: {
      accessToken: `sk-ant-oat01-${writer}-${seq}`,
      refreshToken: `sk-ant-ort01-${writer}-${seq}`,
      expiresAt: 1_800_000_000_000 + seq,
      scopes: ["user:inference", "user:profile"],
    },
    writer,
    seq,
    padding: writer.repeat(padding),
  };
}

/** True when `blob` is exactly one complete writerBlob. */
export function isCompleteWriterBlob(
  blob: CredentialBlob | undefined,
  writers: readonly string[],
  padding: number,
): boolean {
  if (!blob || typeof blob.writer !== "string" || typeof blob.seq !== "number") return false;
  if (!writers.includes(blob.writer)) return false;
  return JSON.stringify(blob) === JSON.stringify(writerBlob(blob.writer, blob.seq, padding));
}
