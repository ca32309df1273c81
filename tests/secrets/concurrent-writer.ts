// Spawned by the contract suite: one process writing `count` different complete blobs through a
// real credential store while another process does the same.
import { createCredentialStore } from "../../src/secrets/index.ts";
import { writerBlob } from "./blobs.ts";

interface WriterConfig {
  kind: "keychain" | "file";
  configDir: string;
  writer: string;
  count: number;
  padding: number;
  lib?: string;
  securityBin?: string;
}

const config = JSON.parse(process.argv[2] ?? "{}") as WriterConfig;
const store = createCredentialStore({
  secretStore: config.kind,
  securityLib: config.lib,
  coreFoundationLib: config.lib,
  securityBin: config.securityBin ?? "/nonexistent/security",
  user: "pool-tester",
});
for (let seq = 0; seq < config.count; seq++)
  await store.write(config.configDir, writerBlob(config.writer, seq, config.padding));
