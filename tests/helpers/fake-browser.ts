// A stand-in for the browser `claude auth login` opens through `BROWSER` (claude-code.md §5, §6):
// it loads the authorize URL through the intercepting proxy (so it reaches the fake server's
// authorize page under the real host name), follows the redirect to claude's localhost callback,
// and then claude's own redirect to the success page, as a signed-in browser would. Every URL it
// visits is appended to `FAKE_BROWSER_LOG` when set. It exits 0 once the callback answered.
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MAX_HOPS = 6;

function isLocal(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "127.0.0.1";
}

async function browse(start: string): Promise<number> {
  const proxy = process.env.HTTPS_PROXY ?? process.env.https_proxy;
  const caPath = process.env.NODE_EXTRA_CA_CERTS;
  const ca = caPath ? readFileSync(caPath, "utf8") : undefined;
  const log = process.env.FAKE_BROWSER_LOG;
  let url = new URL(start);
  let sawCallback = false;
  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    if (log) appendFileSync(log, `${url.toString()}\n`);
    const local = isLocal(url);
    const response = await fetch(url, {
      redirect: "manual",
      signal: AbortSignal.timeout(60_000),
      ...(local ? {} : { proxy, tls: ca ? { ca } : undefined }),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (local && url.pathname === "/callback") sawCallback = true;
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || !location) {
      if (!sawCallback) {
        process.stderr.write(`fake browser: ${url.host}${url.pathname} answered ${response.status}\n`);
        return 1;
      }
      return 0;
    }
    url = new URL(location, url);
  }
  return sawCallback ? 0 : 1;
}

/** Writes an executable `BROWSER` script into `dir` that runs this file with this Bun. */
export function writeFakeBrowser(dir: string): string {
  const path = join(dir, "fake-browser.sh");
  writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${import.meta.path}' "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

if (import.meta.main) {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write("usage: fake-browser <url>\n");
    process.exit(2);
  }
  process.exit(await browse(target));
}
