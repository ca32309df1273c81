// A stand-in for /usr/bin/security covering the sub-commands cc-pool uses, sharing its item store
// with fake-security.c: <FAKE_KEYCHAIN_DIR>/<hex(service)>_<hex(account)>.item (+ .flags).
// An empty account in the file name is an item without an `acct` attribute.
// Keychain-wide state, as files in the dir: "keychain-locked" (a locked keychain is invisible:
// find and delete exit 44 as for a missing item, add exits 36) and "gui-session" (with the keychain
// locked, every command waits for an unlock dialog nobody answers, i.e. hangs). Per-item flags:
// "hang" (never answers, like an access dialog nobody clicks), "tooldenied" (errSecAuthFailed).
// `-w` prints the data hex-encoded whenever a byte of it fails isprint(), as the real tool does.
// Every run appends its pid and argv to tool-argv.log and each service it touches to touched.log
// ("tool <command> <service>").
import {
  appendFileSync,
  existsSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

// security(1) reads interactive lines into a 4096-byte buffer; longer lines would be split.
const MAX_LINE_LEN = 4096;

const dir = process.env.FAKE_KEYCHAIN_DIR;
if (!dir) {
  process.stderr.write("fake security: FAKE_KEYCHAIN_DIR is not set\n");
  process.exit(1);
}

const hex = (text: string): string => Buffer.from(text, "utf8").toString("hex");
const NOT_FOUND = "The specified item could not be found in the keychain.";

interface Item {
  service: string;
  account: string;
  base: string;
}

function logTouch(command: string, service: string | undefined): void {
  appendFileSync(join(dir!, "touched.log"), `tool ${command} ${service ?? "(none)"}\n`);
}

function flags(item: Item): string[] {
  const path = `${item.base}.flags`;
  return existsSync(path) ? readFileSync(path, "utf8").split(/\s+/).filter(Boolean) : [];
}

function findItem(service: string | undefined, account: string | undefined): Item | undefined {
  const names = readdirSync(dir!)
    .filter((name) => name.endsWith(".item"))
    .sort();
  for (const name of names) {
    const [serviceHex, accountHex] = name.slice(0, -".item".length).split("_");
    const itemService = Buffer.from(serviceHex ?? "", "hex").toString("utf8");
    const itemAccount = Buffer.from(accountHex ?? "", "hex").toString("utf8");
    if (service !== undefined && itemService !== service) continue;
    // Like the legacy API underneath, an empty account matches any account.
    if (account !== undefined && account !== "" && itemAccount !== account) continue;
    return { service: itemService, account: itemAccount, base: join(dir!, name.slice(0, -".item".length)) };
  }
  return undefined;
}

function parseOptions(
  args: string[],
  withValue: string,
): { options: Map<string, string>; switches: Set<string> } {
  const options = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-") || arg.length !== 2) continue;
    const letter = arg[1]!;
    if (withValue.includes(letter)) {
      options.set(letter, args[i + 1] ?? "");
      i++;
    } else {
      switches.add(letter);
    }
  }
  return { options, switches };
}

function fail(message: string, code: number): number {
  process.stderr.write(`security: ${message}\n`);
  return code;
}

function printAttributes(item: Item): void {
  process.stdout.write(
    `keychain: "${dir}/fake.keychain-db"\nclass: "genp"\nattributes:\n    "acct"<blob>="${item.account}"\n    "svce"<blob>="${item.service}"\n`,
  );
}

async function hangForever(): Promise<never> {
  await new Promise(() => setInterval(() => undefined, 60_000));
  throw new Error("unreachable");
}

const locked = (): boolean => existsSync(join(dir!, "keychain-locked"));
const guiSession = (): boolean => existsSync(join(dir!, "gui-session"));

/** A locked keychain: an unlock dialog in a GUI session, otherwise the item is simply not seen. */
async function lockGate(code: number, message: string): Promise<number | undefined> {
  if (!locked()) return undefined;
  logTouch("UNLOCK-DIALOG", undefined);
  if (guiSession()) await hangForever();
  return fail(message, code);
}

/** isprint() in the C locale: the real tool prints the data as hex when any byte fails it. */
function printable(data: Buffer): boolean {
  return data.every((byte) => byte >= 0x20 && byte <= 0x7e);
}

// Common gates for an item a command is about to use; undefined means "go ahead".
async function gate(item: Item): Promise<number | undefined> {
  const f = flags(item);
  if (f.includes("hang")) await hangForever();
  if (f.includes("tooldenied"))
    return fail("SecKeychainItemCopyContent: The user name or passphrase you entered is not correct.", 51);
  return undefined;
}

function writeAtomically(path: string, data: Buffer): void {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, data, { mode: 0o600 });
  renameSync(temp, path);
}

async function findGenericPassword(args: string[]): Promise<number> {
  const { options, switches } = parseOptions(args, "acCDGjls");
  const service = options.get("s");
  logTouch("find-generic-password", service);
  const refusedLocked = await lockGate(44, `SecKeychainSearchCopyNext: ${NOT_FOUND}`);
  if (refusedLocked !== undefined) return refusedLocked;
  const item = findItem(service, options.get("a"));
  if (!item) return fail(`SecKeychainSearchCopyNext: ${NOT_FOUND}`, 44);
  const refused = await gate(item);
  if (refused !== undefined) return refused;
  const data = readFileSync(`${item.base}.item`);
  if (switches.has("w")) {
    process.stdout.write(printable(data) ? data : data.toString("hex"));
    process.stdout.write("\n");
  } else {
    printAttributes(item);
  }
  return 0;
}

async function addGenericPassword(args: string[]): Promise<number> {
  const { options, switches } = parseOptions(args, "acCDGjlspwXT");
  const service = options.get("s");
  const account = options.get("a") ?? "";
  logTouch("add-generic-password", service);
  if (service === undefined) return fail("add-generic-password: a service name is required", 2);
  const refusedLocked = await lockGate(
    36,
    "SecKeychainItemCreateFromContent: User interaction is not allowed.",
  );
  if (refusedLocked !== undefined) return refusedLocked;
  const password = options.has("X")
    ? Buffer.from(options.get("X")!, "hex")
    : Buffer.from(options.get("w") ?? options.get("p") ?? "", "utf8");
  if (options.has("X") && !/^([0-9a-fA-F]{2})*$/.test(options.get("X")!))
    return fail("Invalid hex string", 2);
  const existing = findItem(service, account);
  if (existing) {
    const refused = await gate(existing);
    if (refused !== undefined) return refused;
    if (!switches.has("U"))
      return fail(
        "SecKeychainItemCreateFromContent (<default>): The specified item already exists in the keychain.",
        45,
      );
  }
  writeAtomically(
    existing ? `${existing.base}.item` : join(dir!, `${hex(service)}_${hex(account)}.item`),
    password,
  );
  return 0;
}

async function deleteGenericPassword(args: string[]): Promise<number> {
  const { options } = parseOptions(args, "acCDGjls");
  const service = options.get("s");
  logTouch("delete-generic-password", service);
  const refusedLocked = await lockGate(44, `SecKeychainSearchCopyNext: ${NOT_FOUND}`);
  if (refusedLocked !== undefined) return refusedLocked;
  const item = findItem(service, options.get("a"));
  if (!item) return fail(`SecKeychainSearchCopyNext: ${NOT_FOUND}`, 44);
  const refused = await gate(item);
  if (refused !== undefined) return refused;
  printAttributes(item);
  unlinkSync(`${item.base}.item`);
  if (existsSync(`${item.base}.flags`)) unlinkSync(`${item.base}.flags`);
  process.stdout.write("password has been deleted.\n");
  return 0;
}

async function execute(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      return 0;
    case "find-generic-password":
      return findGenericPassword(rest);
    case "add-generic-password":
      return addGenericPassword(rest);
    case "delete-generic-password":
      return deleteGenericPassword(rest);
    default:
      return fail(`unknown command "${command}"`, 1);
  }
}

/** security(1)'s interactive-mode argument splitting: whitespace, '…' or "…", backslash escapes. */
function splitLine(line: string): string[] {
  const args: string[] = [];
  let current = "";
  let state: "ws" | "arg" | "quoted" = "ws";
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (state === "ws") {
      if (/\s/.test(ch)) continue;
      if (ch === '"' || ch === "'") {
        state = "quoted";
        quote = ch;
        continue;
      }
      state = "arg";
    }
    if (ch === "\\") {
      current += line[++i] ?? "";
      continue;
    }
    if ((state === "arg" && /\s/.test(ch)) || (state === "quoted" && ch === quote)) {
      args.push(current);
      current = "";
      state = "ws";
      continue;
    }
    current += ch;
  }
  if (state !== "ws") args.push(current);
  return args;
}

async function main(argv: string[]): Promise<number> {
  appendFileSync(join(dir!, "tool-argv.log"), `${JSON.stringify({ pid: process.pid, argv })}\n`);
  if (argv[0] !== "-i") return execute(argv);
  const input = await Bun.stdin.text();
  let result = 0;
  for (const line of input.split("\n")) {
    // The real tool would cut such a line in two and run the tail as a command: refuse loudly.
    if (Buffer.byteLength(line) + 1 >= MAX_LINE_LEN)
      return fail(`interactive line of ${Buffer.byteLength(line)} bytes is too long`, 99);
    const args = splitLine(line);
    if (args.length === 0) continue;
    result = await execute(args);
    if (result !== 0) process.stderr.write(`${args[0]}: returned ${result}\n`);
  }
  return result;
}

process.exit(await main(process.argv.slice(2)));
