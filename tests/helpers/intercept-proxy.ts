// An HTTPS-intercepting proxy for tests with the real claude (claude-code.md §6): claude's OAuth
// calls ignore ANTHROPIC_BASE_URL, so with HTTPS_PROXY pointing here and NODE_EXTRA_CA_CERTS
// naming a test CA, every CONNECT is answered by a local TLS server whose certificate (signed by
// that CA, made with openssl) covers Anthropic's hosts, and whose requests go to the fake server.
// Nothing reaches the internet: hosts it does not know get a 404 from the fake.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server as NetServer, connect } from "node:net";
import { join } from "node:path";
import type { Server } from "bun";
import { tempDir } from "./cli.ts";

export const INTERCEPTED_HOSTS = [
  "platform.claude.com",
  "api.anthropic.com",
  "console.anthropic.com",
  "claude.ai",
  "claude.com",
  "downloads.claude.ai",
  "statsig.anthropic.com",
  "mcp-proxy.anthropic.com",
  "github.com",
  "raw.githubusercontent.com",
];

export interface InterceptProxy {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY. */
  url: string;
  /** The test CA's certificate, for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  /** Hosts and paths claude asked for through the proxy. */
  readonly seen: { host: string; method: string; path: string }[];
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

/** A test CA and one leaf certificate for every intercepted host. */
function makeCertificates(): { caPath: string; cert: string; key: string } {
  const dir = join(tempDir("ca-"), "pki");
  mkdirSync(dir, { recursive: true });
  openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2"]
      .concat(["-subj", "/CN=cc-pool test CA", "-addext", "basicConstraints=critical,CA:TRUE"])
      .concat(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
    dir,
  );
  openssl(
    [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
      "-subj",
      "/CN=intercepted",
    ],
    dir,
  );
  const san = INTERCEPTED_HOSTS.map((h) => `DNS:${h}`).join(",");
  writeFileSync(
    join(dir, "leaf.ext"),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.crt",
    ].concat(["-days", "2", "-extfile", "leaf.ext"]),
    dir,
  );
  return {
    caPath: join(dir, "ca.crt"),
    cert: readFileSync(join(dir, "leaf.crt"), "utf8"),
    key: readFileSync(join(dir, "leaf.key"), "utf8"),
  };
}

/** Starts the proxy; requests that reach it are forwarded to `upstream` (the fake server's URL). */
export async function startInterceptProxy(upstream: string): Promise<InterceptProxy> {
  const { caPath, cert, key } = makeCertificates();
  const seen: InterceptProxy["seen"] = [];
  const tlsServer: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert, key },
    idleTimeout: 120,
    async fetch(req) {
      const url = new URL(req.url);
      const host = req.headers.get("host")?.split(":")[0] ?? url.hostname;
      seen.push({ host, method: req.method, path: url.pathname });
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body,
        redirect: "manual",
      }).catch(() => new Response("upstream unreachable", { status: 502 }));
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    },
  });
  const tlsPort = tlsServer.port as number;
  const sockets = new Set<{ destroy(): void }>();
  const proxy: NetServer = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData);
      const line = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
      const rest = head.subarray(end + 4);
      const match = /^CONNECT\s+([^\s:]+):(\d+)\s/i.exec(line);
      if (!match) {
        client.end("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const upstreamSocket = connect(tlsPort, "127.0.0.1", () => {
        sockets.add(upstreamSocket);
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (rest.length > 0) upstreamSocket.write(rest);
        client.pipe(upstreamSocket);
        upstreamSocket.pipe(client);
      });
      const close = (): void => {
        client.destroy();
        upstreamSocket.destroy();
      };
      upstreamSocket.on("error", close);
      client.on("error", close);
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    caPath,
    seen,
    async stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await tlsServer.stop(true);
    },
  };
}
