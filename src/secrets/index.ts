import type { Env } from "../env.ts";
import { createFileStore, locateCredentialFile } from "./file-store.ts";
import { locateKeychainCredential } from "./keychain-naming.ts";
import { createKeychainStore } from "./keychain-store.ts";
import type { CredentialLocation, CredentialStore } from "./types.ts";

export { createFileStore, credentialsFilePath, locateCredentialFile } from "./file-store.ts";
export {
  isPooledKeychainService,
  keychainAccountName,
  keychainServiceName,
  locateKeychainCredential,
} from "./keychain-naming.ts";
export { createKeychainStore, decodeKeychainPayload, type KeychainStoreOptions } from "./keychain-store.ts";
export type { CredentialBlob, CredentialLocation, CredentialStore, OAuthCredential } from "./types.ts";

export type CredentialStoreEnv = Pick<
  Env,
  "secretStore" | "securityLib" | "coreFoundationLib" | "securityBin" | "user"
> &
  Partial<Pick<Env, "accountsDir">>;

/** The store chosen by `env.secretStore` (Keychain on macOS, file elsewhere, CCP_SECRET_STORE overrides). */
export function createCredentialStore(env: CredentialStoreEnv): CredentialStore {
  if (env.secretStore === "file") return createFileStore({ accountsDir: env.accountsDir });
  return createKeychainStore({
    securityLib: env.securityLib,
    coreFoundationLib: env.coreFoundationLib,
    securityBin: env.securityBin,
    user: env.user,
  });
}

/** Where an account's credential lives, for `ccp list --json` and messages. Sync, no IO. */
export function locateCredential(
  env: Pick<Env, "secretStore" | "user">,
  configDir: string,
): CredentialLocation {
  return env.secretStore === "file"
    ? locateCredentialFile(configDir)
    : locateKeychainCredential(configDir, env.user);
}
