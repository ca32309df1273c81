// The stand-ins themselves, exercised through cc-pool's raw bindings: if they lied (leak counter
// stuck at zero, lax status codes), the adapter tests built on them would prove nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  CF_STRING_ENCODING_UTF8,
  type CoreFoundation,
  copyBytes,
  openCoreFoundation,
} from "../../src/ffi/core-foundation.ts";
import {
  type Pointer,
  asPointer,
  cString,
  outPointer,
  pointerArray,
  readOutPointer,
} from "../../src/ffi/data-symbol.ts";
import { type Security, openSecurity } from "../../src/ffi/security.ts";
import { type FakeKeychain, openFakeKeychain } from "./fake-keychain.ts";

let fake: FakeKeychain;
let cf: CoreFoundation;
let sec: Security;
const SERVICE = "Claude Code-credentials-0000abcd";

beforeAll(() => {
  fake = openFakeKeychain();
  cf = openCoreFoundation(fake.libPath);
  sec = openSecurity(fake.libPath);
});
beforeEach(() => fake.reset());
afterAll(() => fake.dispose());

function str(text: string): Pointer {
  return asPointer(cf.symbols.CFStringCreateWithCString(null, cString(text), CF_STRING_ENCODING_UTF8))!;
}

function data(text: string): Pointer {
  const bytes = Buffer.from(text);
  return asPointer(cf.symbols.CFDataCreate(null, bytes, bytes.length))!;
}

/** Builds a query, runs `fn`, releases everything it created. */
function withDict<T>(entries: [Pointer, Pointer][], fn: (dict: Pointer) => T): T {
  const dict = asPointer(
    cf.symbols.CFDictionaryCreate(
      null,
      pointerArray(entries.map((e) => e[0])),
      pointerArray(entries.map((e) => e[1])),
      entries.length,
      cf.dictionaryKeyCallBacks,
      cf.dictionaryValueCallBacks,
    ),
  )!;
  try {
    return fn(dict);
  } finally {
    cf.symbols.CFRelease(dict);
  }
}

function item(
  account: string | undefined,
  extra: [Pointer, Pointer][] = [],
): { entries: [Pointer, Pointer][]; release(): void } {
  const k = sec.constants;
  const owned = [str(SERVICE)];
  const entries: [Pointer, Pointer][] = [
    [k.class, k.classGenericPassword],
    [k.attrService, owned[0]!],
  ];
  if (account !== undefined) {
    owned.push(str(account));
    entries.push([k.attrAccount, owned[1]!]);
  }
  return {
    entries: [...entries, ...extra],
    release: () => {
      for (const p of owned) cf.symbols.CFRelease(p);
    },
  };
}

describe("fake CoreFoundation", () => {
  test("counts live objects until their last release, and flags a double release", () => {
    const before = fake.badReleases();
    const s = str("hello");
    expect(fake.liveObjects()).toBe(1);
    const d = withDict([[sec.constants.attrService, s]], (dict) => {
      expect(fake.liveObjects()).toBe(2);
      return dict;
    });
    expect(fake.liveObjects()).toBe(1);
    cf.symbols.CFRelease(s);
    expect(fake.liveObjects()).toBe(0);
    cf.symbols.CFRelease(d);
    expect(fake.badReleases()).toBe(before + 1);
  });

  test("round-trips strings and data", () => {
    const s = str("acct-\u00e9");
    const buffer = Buffer.alloc(64);
    expect(cf.symbols.CFStringGetCString(s, buffer, 64, CF_STRING_ENCODING_UTF8)).toBe(true);
    expect(buffer.subarray(0, buffer.indexOf(0)).toString()).toBe("acct-\u00e9");
    expect(cf.symbols.CFStringGetCString(s, buffer, 3, CF_STRING_ENCODING_UTF8)).toBe(false);
    const d = data("payload");
    expect(Number(cf.symbols.CFDataGetLength(d))).toBe(7);
    expect(BigInt(cf.symbols.CFGetTypeID(d))).toBe(cf.typeIds.data);
    cf.symbols.CFRelease(s);
    cf.symbols.CFRelease(d);
    expect(fake.liveObjects()).toBe(0);
  });

  test("refuses a dictionary whose callbacks are not the kCFType structs by address", () => {
    const wrong = asPointer(
      cf.symbols.CFDictionaryCreate(
        null,
        pointerArray([sec.constants.class]),
        pointerArray([sec.constants.classGenericPassword]),
        1,
        cf.booleanTrue,
        cf.booleanTrue,
      ),
    );
    expect(wrong).toBeNull();
  });
});

describe("fake Security", () => {
  const run = (
    fn: (dict: Pointer) => number,
    account: string | undefined,
    extra: [Pointer, Pointer][] = [],
  ): number => {
    const q = item(account, extra);
    try {
      return withDict(q.entries, fn);
    } finally {
      q.release();
    }
  };
  const add = (account: string, text: string): number => {
    const d = data(text);
    try {
      return run((dict) => sec.symbols.SecItemAdd(dict, null), account, [[sec.constants.valueData, d]]);
    } finally {
      cf.symbols.CFRelease(d);
    }
  };
  const copyData = (account: string, uiFail: boolean): { status: number; text?: string } => {
    const k = sec.constants;
    const extra: [Pointer, Pointer][] = [[k.returnData, cf.booleanTrue]];
    if (uiFail) extra.push([k.useAuthenticationUI, k.useAuthenticationUIFail]);
    const slot = outPointer();
    const status = run((dict) => sec.symbols.SecItemCopyMatching(dict, slot), account, extra);
    const result = readOutPointer(slot);
    if (!result) return { status };
    const length = Number(cf.symbols.CFDataGetLength(result));
    const text = Buffer.from(copyBytes(asPointer(cf.symbols.CFDataGetBytePtr(result))!, length)).toString();
    cf.symbols.CFRelease(result);
    return { status, text };
  };

  test("add, duplicate, update, delete with real status codes", () => {
    const k = sec.constants;
    expect(add("alice", "one")).toBe(0);
    expect(add("alice", "two")).toBe(-25299);
    expect(fake.itemData(SERVICE, "alice")?.toString()).toBe("one");
    const changes = data("three");
    const update = (account: string): number =>
      withDict([[k.valueData, changes]], (attrs) =>
        run((dict) => sec.symbols.SecItemUpdate(dict, attrs), account),
      );
    expect(update("alice")).toBe(0);
    expect(fake.itemData(SERVICE, "alice")?.toString()).toBe("three");
    expect(update("bob")).toBe(-25300);
    cf.symbols.CFRelease(changes);
    expect(run((dict) => sec.symbols.SecItemDelete(dict), "bob")).toBe(-25300);
    expect(run((dict) => sec.symbols.SecItemDelete(dict), "alice")).toBe(0);
    expect(run((dict) => sec.symbols.SecItemDelete(dict), "alice")).toBe(-25300);
    expect(fake.liveObjects()).toBe(0);
  });

  test("a query without a service is rejected rather than matching everything", () => {
    const k = sec.constants;
    fake.putItem(SERVICE, "alice", "x");
    const slot = outPointer();
    const status = withDict(
      [
        [k.class, k.classGenericPassword],
        [k.returnAttributes, cf.booleanTrue],
      ],
      (dict) => sec.symbols.SecItemCopyMatching(dict, slot),
    );
    expect(status).toBe(-50);
    expect(readOutPointer(slot)).toBeNull();
  });

  test("an item that needs interaction fails fast with UI disabled and logs a prompt otherwise", () => {
    fake.putItem(SERVICE, "alice", "x", ["interaction"]);
    expect(copyData("alice", true).status).toBe(-25308);
    expect(fake.events().filter((e) => e.op === "PROMPT")).toEqual([]);
    expect(copyData("alice", false).status).toBe(-128);
    expect(fake.events().filter((e) => e.op === "PROMPT")).toEqual([
      { source: "lib", op: "PROMPT", service: SERVICE },
    ]);
    expect(fake.liveObjects()).toBe(0);
  });

  test("a readable item returns its data as CFData", () => {
    fake.putItem(SERVICE, "alice", "payload");
    expect(copyData("alice", true)).toEqual({ status: 0, text: "payload" });
    expect(copyData("nobody", true).status).toBe(-25300);
    expect(fake.liveObjects()).toBe(0);
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

  test("add without -U refuses an existing item; with -U it updates; -X takes hex", async () => {
    expect((await tool(["add-generic-password", "-s", SERVICE, "-a", "alice", "-w", "one"])).code).toBe(0);
    expect((await tool(["add-generic-password", "-s", SERVICE, "-a", "alice", "-w", "two"])).code).toBe(45);
    expect(
      (
        await tool([
          "add-generic-password",
          "-U",
          "-s",
          SERVICE,
          "-a",
          "alice",
          "-X",
          Buffer.from("three").toString("hex"),
        ])
      ).code,
    ).toBe(0);
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

  test("hexout prints the data hex-encoded and delete removes the item", async () => {
    fake.putItem(SERVICE, "alice", '{"a":1}', ["hexout"]);
    expect((await tool(["find-generic-password", "-s", SERVICE, "-w"])).out).toBe(
      `${Buffer.from('{"a":1}').toString("hex")}\n`,
    );
    expect((await tool(["delete-generic-password", "-s", SERVICE, "-a", "alice"])).code).toBe(0);
    expect(fake.items()).toEqual([]);
    expect((await tool(["delete-generic-password", "-s", SERVICE, "-a", "alice"])).code).toBe(44);
  });
});
