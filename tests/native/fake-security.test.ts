// The stand-ins themselves, exercised through cc-pool's raw bindings: if they were kinder than the
// real frameworks (plain addresses that survive a JS number, data reads that just work, a locked
// keychain that says so), the adapter tests built on them would prove nothing.
import { dlopen, read } from "bun:ffi";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  CF_STRING_ENCODING_UTF8,
  type CoreFoundation,
  openCoreFoundation,
} from "../../src/ffi/core-foundation.ts";
import {
  type CFRef,
  DATA_SYMBOL,
  constantAt,
  cString,
  outRef,
  readOutRef,
  refArray,
} from "../../src/ffi/data-symbol.ts";
import { type Security, openSecurity } from "../../src/ffi/security.ts";
import { type FakeKeychain, openFakeKeychain } from "./fake-keychain.ts";

let fake: FakeKeychain;
let cf: CoreFoundation;
let sec: Security;
/** Constants the adapter no longer binds, to show the stand-in's answer to a data read. */
let extra: { returnData: CFRef; useAuthUI: CFRef; useAuthUIFail: CFRef };
const SERVICE = "Claude Code-credentials-0000abcd";
const TWO_POW_53 = 2n ** 53n;

beforeAll(() => {
  fake = openFakeKeychain();
  cf = openCoreFoundation(fake.libPath);
  sec = openSecurity(fake.libPath);
  const s = dlopen(fake.libPath, {
    kSecReturnData: DATA_SYMBOL,
    kSecUseAuthenticationUI: DATA_SYMBOL,
    kSecUseAuthenticationUIFail: DATA_SYMBOL,
  }).symbols;
  extra = {
    returnData: constantAt(s.kSecReturnData, "kSecReturnData"),
    useAuthUI: constantAt(s.kSecUseAuthenticationUI, "kSecUseAuthenticationUI"),
    useAuthUIFail: constantAt(s.kSecUseAuthenticationUIFail, "kSecUseAuthenticationUIFail"),
  };
});
beforeEach(() => fake.reset());
afterAll(() => fake.dispose());

function str(text: string): CFRef {
  return cf.symbols.CFStringCreateWithCString(null, cString(text), CF_STRING_ENCODING_UTF8);
}

function text(ref: CFRef): string | undefined {
  const buffer = Buffer.alloc(256);
  if (cf.symbols.CFStringGetCString(ref, buffer, 256, CF_STRING_ENCODING_UTF8) === 0) return undefined;
  return buffer.subarray(0, buffer.indexOf(0)).toString();
}

function dict(entries: [CFRef, CFRef][]): CFRef {
  return cf.symbols.CFDictionaryCreate(
    null,
    refArray(entries.map((e) => e[0])),
    refArray(entries.map((e) => e[1])),
    entries.length,
    cf.dictionaryKeyCallBacks,
    cf.dictionaryValueCallBacks,
  );
}

/** Runs one SecItemCopyMatching on SERVICE with `more` entries; releases everything it made. */
function copyMatching(more: [CFRef, CFRef][]): { status: number; result: CFRef | null } {
  const k = sec.constants;
  const service = str(SERVICE);
  const query = dict([
    [k.class, k.classGenericPassword],
    [k.attrService, service],
    [k.matchLimit, k.matchLimitOne],
    ...more,
  ]);
  const slot = outRef();
  const status = sec.symbols.SecItemCopyMatching(query, slot);
  cf.symbols.CFRelease(query);
  cf.symbols.CFRelease(service);
  return { status, result: readOutRef(slot) };
}

describe("fake CoreFoundation", () => {
  test("hands out handles above 2^53: short strings tagged with the top bit, the rest from a high table", () => {
    const short = str("alice");
    const long = str("a string longer than seven bytes");
    expect(short).toBeGreaterThan(2n ** 63n);
    expect(long).toBeGreaterThan(TWO_POW_53);
    expect(long).toBeLessThan(2n ** 63n);
    for (const constant of [sec.constants.attrService, sec.constants.class, cf.booleanTrue])
      expect(constant).toBeGreaterThan(TWO_POW_53);
    expect(text(short)).toBe("alice");
    expect(text(long)).toBe("a string longer than seven bytes");
    // A tagged string is not an object: releasing it changes nothing.
    cf.symbols.CFRelease(short);
    expect(fake.liveObjects()).toBe(1);
    cf.symbols.CFRelease(long);
    expect(fake.liveObjects()).toBe(0);
    expect(fake.badHandles()).toBe(0);
  });

  test("a handle that went through a JS number is refused, counted and reported", () => {
    const before = fake.badHandles();
    const short = str("acct");
    const long = str("Claude Code-credentials-0000abcd");
    // What Number() / read.ptr do to a pointer above 2^53.
    const rounded = (ref: CFRef): CFRef => BigInt(Number(ref));
    expect(rounded(short)).not.toBe(short);
    expect(rounded(long)).not.toBe(long);
    expect(text(rounded(short))).toBeUndefined();
    expect(cf.symbols.CFGetTypeID(rounded(long))).toBe(0n);
    expect(fake.badHandles()).toBe(before + 2);
    // read.ptr rounds a constant the same way; read.u64 is exact.
    const address = (sec.symbols.kSecAttrService as unknown as { ptr: number }).ptr;
    expect(BigInt(read.ptr(address))).not.toBe(sec.constants.attrService);
    expect(read.u64(address)).toBe(sec.constants.attrService);
    cf.symbols.CFRelease(long);
  });

  test("counts live objects until their last release and refuses a use after release", () => {
    const before = fake.badHandles();
    const s = str("a long enough string to be an object");
    const d = dict([[sec.constants.attrService, s]]);
    expect(fake.liveObjects()).toBe(2);
    cf.symbols.CFRelease(s);
    // The dictionary still holds it.
    expect(text(cf.symbols.CFDictionaryGetValue(d, sec.constants.attrService))).toBe(
      "a long enough string to be an object",
    );
    cf.symbols.CFRelease(d);
    expect(fake.liveObjects()).toBe(0);
    cf.symbols.CFRelease(d);
    expect(fake.badHandles()).toBe(before + 1);
  });

  test("refuses a dictionary whose callbacks are not the kCFType structs by address", () => {
    const wrong = cf.symbols.CFDictionaryCreate(
      null,
      refArray([sec.constants.class]),
      refArray([sec.constants.classGenericPassword]),
      1,
      cf.dictionaryKeyCallBacks,
      null,
    );
    expect(wrong).toBe(0n);
  });
});

describe("fake Security", () => {
  test("attributes come back as a dictionary; an item without acct has no acct key", () => {
    const k = sec.constants;
    const before = fake.badHandles();
    fake.putItem(SERVICE, "alice", "x");
    let r = copyMatching([[k.returnAttributes, cf.booleanTrue]]);
    expect(r.status).toBe(0);
    expect(text(cf.symbols.CFDictionaryGetValue(r.result!, k.attrAccount))).toBe("alice");
    cf.symbols.CFRelease(r.result!);
    fake.reset();
    fake.putItem(SERVICE, "", "x");
    r = copyMatching([[k.returnAttributes, cf.booleanTrue]]);
    expect(r.status).toBe(0);
    expect(cf.symbols.CFDictionaryGetValue(r.result!, k.attrAccount)).toBe(0n);
    cf.symbols.CFRelease(r.result!);
    // Asking for acct "" does not find an item that has no acct.
    const empty = str("");
    expect(
      copyMatching([
        [k.returnAttributes, cf.booleanTrue],
        [k.attrAccount, empty],
      ]).status,
    ).toBe(-25300);
    cf.symbols.CFRelease(empty);
    expect(fake.liveObjects()).toBe(0);
    expect(fake.badHandles()).toBe(before);
  });

  test("a data read of a tool-created item would prompt, whatever kSecUseAuthenticationUI says", () => {
    fake.putItem(SERVICE, "alice", "secret");
    expect(copyMatching([[extra.returnData, cf.booleanTrue]]).status).toBe(-128);
    expect(
      copyMatching([
        [extra.returnData, cf.booleanTrue],
        [extra.useAuthUI, extra.useAuthUIFail],
      ]).status,
    ).toBe(-128);
    expect(fake.events().filter((e) => e.op === "PROMPT")).toHaveLength(2);
    expect(fake.liveObjects()).toBe(0);
  });

  test("a locked keychain: status says locked, a lookup says not found", () => {
    const k = sec.constants;
    fake.putItem(SERVICE, "alice", "x");
    const status = (): number => {
      const slot = new Uint32Array(1);
      expect(sec.symbols.SecKeychainGetStatus(null, slot)).toBe(0);
      return slot[0]!;
    };
    expect(status() & 1).toBe(1);
    fake.setLocked(true);
    expect(status() & 1).toBe(0);
    sec.symbols.SecKeychainSetUserInteractionAllowed(1);
    expect(copyMatching([[k.returnAttributes, cf.booleanTrue]]).status).toBe(-25300);
    // With interaction allowed that lookup showed the unlock dialog.
    expect(fake.events().filter((e) => e.op === "PROMPT")).toHaveLength(1);
    sec.symbols.SecKeychainSetUserInteractionAllowed(0);
    expect(fake.interactionAllowed()).toBe(false);
    expect(copyMatching([[k.returnAttributes, cf.booleanTrue]]).status).toBe(-25300);
    expect(fake.events().filter((e) => e.op === "PROMPT")).toHaveLength(1);
    expect(fake.liveObjects()).toBe(0);
  });

  test("a query without a service is rejected rather than matching everything", () => {
    const k = sec.constants;
    fake.putItem(SERVICE, "alice", "x");
    const query = dict([
      [k.class, k.classGenericPassword],
      [k.returnAttributes, cf.booleanTrue],
    ]);
    const slot = outRef();
    expect(sec.symbols.SecItemCopyMatching(query, slot)).toBe(-50);
    expect(readOutRef(slot)).toBeNull();
    cf.symbols.CFRelease(query);
  });
});

describe("fake security tool", () => {
  async function tool(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
    const proc = Bun.spawn([fake.toolPath, ...args], {
      stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, out, err };
  }

  test("find reports a missing item like security(1): exit 44", async () => {
    const result = await tool(["find-generic-password", "-s", SERVICE, "-a", "alice", "-w"]);
    expect(result.code).toBe(44);
    expect(result.err).toContain("could not be found");
  });

  test("a locked keychain looks like a missing item (exit 44); in a GUI session the tool hangs", async () => {
    fake.putItem(SERVICE, "alice", "x");
    fake.setLocked(true);
    const result = await tool(["find-generic-password", "-s", SERVICE, "-w"]);
    expect(result.code).toBe(44);
    expect(result.err).toContain("could not be found");
    fake.setGuiSession(true);
    const proc = Bun.spawn([fake.toolPath, "find-generic-password", "-s", SERVICE, "-w"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const outcome = await Promise.race([
      proc.exited.then(() => "exited"),
      Bun.sleep(1500).then(() => "waiting"),
    ]);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(outcome).toBe("waiting");
  });

  test("add without -U refuses an existing item; with -U it updates; -X takes hex", async () => {
    expect((await tool(["add-generic-password", "-s", SERVICE, "-a", "alice", "-w", "one"])).code).toBe(0);
    expect((await tool(["add-generic-password", "-s", SERVICE, "-a", "alice", "-w", "two"])).code).toBe(45);
    const hex = Buffer.from("three").toString("hex");
    expect((await tool(["add-generic-password", "-U", "-s", SERVICE, "-a", "alice", "-X", hex])).code).toBe(
      0,
    );
    expect((await tool(["find-generic-password", "-s", SERVICE, "-a", "alice", "-w"])).out).toBe("three\n");
  });

  test("-i splits quoted arguments and runs each line; an overlong line is refused", async () => {
    const ok = await tool(["-i"], `add-generic-password -s "${SERVICE}" -a 'alice' -w 'it\\'s'\n`);
    expect(ok.code).toBe(0);
    expect(fake.itemData(SERVICE, "alice")?.toString()).toBe("it's");
    const long = await tool(
      ["-i"],
      `add-generic-password -U -s "${SERVICE}" -a alice -X ${"61".repeat(2100)}\n`,
    );
    expect(long.code).toBe(99);
    expect(fake.itemData(SERVICE, "alice")?.toString()).toBe("it's");
  });

  test("-w prints hex exactly when a byte fails isprint; delete removes the item", async () => {
    fake.putItem(SERVICE, "alice", '{"a":1}');
    expect((await tool(["find-generic-password", "-s", SERVICE, "-w"])).out).toBe('{"a":1}\n');
    fake.putItem(SERVICE, "alice", '{"a":"\u00e9"}');
    expect((await tool(["find-generic-password", "-s", SERVICE, "-w"])).out).toBe(
      `${Buffer.from('{"a":"\u00e9"}').toString("hex")}\n`,
    );
    expect((await tool(["delete-generic-password", "-s", SERVICE, "-a", "alice"])).code).toBe(0);
    expect(fake.items()).toEqual([]);
    expect((await tool(["delete-generic-password", "-s", SERVICE, "-a", "alice"])).code).toBe(44);
  });
});
