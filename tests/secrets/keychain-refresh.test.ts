// The credential write protocol on the Keychain store (native stand-ins): a locked keychain is
// found before a refresh token is spent; an unlocked one gets the rotated blob in its item.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { keychainServiceName } from "../../src/secrets/keychain-naming.ts";
import { createKeychainStore } from "../../src/secrets/keychain-store.ts";
import { refreshAccountToken } from "../../src/usage/refresh.ts";
import { tempDir } from "../helpers/cli.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { type FakeKeychain, openFakeKeychain } from "../native/fake-keychain.ts";

const USER = "pooluser";
let api: FakeAnthropic;
let keychain: FakeKeychain;
beforeAll(async () => {
  api = await startFakeAnthropic();
  keychain = openFakeKeychain();
});
afterAll(async () => {
  await api.stop();
  keychain.dispose();
});

test("a locked keychain stops the refresh before anything is spent; unlocked, the item is updated", async () => {
  keychain.reset();
  const root = tempDir("kc-refresh-");
  const configDir = join(root, "accounts", "acct-01");
  mkdirSync(configDir, { recursive: true });
  const token = api.issueToken({ expiresInMs: 60_000 });
  const service = keychainServiceName(configDir);
  keychain.putItem(
    service,
    USER,
    JSON.stringify({
      claudeAiOauth: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: token.expiresAt,
        scopes: ["user:inference"],
      },
    }),
  );
  const store = createKeychainStore({
    securityLib: keychain.libPath,
    coreFoundationLib: keychain.libPath,
    securityBin: keychain.toolPath,
    user: USER,
  });
  const refresh = () =>
    refreshAccountToken({
      configDir,
      store,
      tokenUrl: api.tokenUrl,
      lockPath: join(root, "locks", "acct-01.refresh.lock"),
      lockWaitMs: 2_000,
    });
  keychain.setLocked(true);
  const locked = await refresh();
  expect(locked.status).toBe("transient");
  expect(api.chain(token.chainId).refreshCount).toBe(0);
  keychain.setLocked(false);
  expect((await refresh()).status).toBe("rotated");
  const chain = api.chain(token.chainId);
  const stored = JSON.parse(keychain.itemData(service, USER)!.toString("utf8"));
  expect(stored.claudeAiOauth.refreshToken).toBe(chain.current.refreshToken);
}, 60_000);
