import { describe, expect, test } from "bun:test";
import { distinctAccountNames, nameCandidates } from "../../src/overlay/account-name.ts";

const id = (email: string, organizationName?: string) => ({ email, organizationName });

describe("distinctAccountNames", () => {
  test("one company domain: the user parts tell the accounts apart", () => {
    const names = distinctAccountNames(
      [
        { id: 1, identity: id("ann@example.com", "ann@example.com's Organization") },
        { id: 2, identity: id("bob@example.com", "bob@example.com's Organization") },
        { id: 3, identity: id("cy@other.io", "cy@other.io's Organization") },
      ],
      new Set(),
    );
    expect([...names.values()]).toEqual(["ann", "bob", "other"]);
  });

  test("one person in two organisations gets the organisation names", () => {
    const names = distinctAccountNames(
      [
        { id: 1, identity: id("ann@acme.com", "Acme Corp") },
        { id: 2, identity: id("ann@acme.com", "Beta LLC") },
      ],
      new Set(),
    );
    expect([...names.values()]).toEqual(["acme-corp", "beta-llc"]);
  });

  test("a reserved (custom) name is never taken; identical identities fall back to the id", () => {
    const names = distinctAccountNames(
      [
        { id: 1, identity: id("ann@gmail.com") },
        { id: 4, identity: id("zed@gmail.com") },
        { id: 5, identity: id("zed@gmail.com") },
      ],
      new Set(["ann"]),
    );
    expect(names.get(1)).toBe("ann-gmail");
    expect(new Set([names.get(4), names.get(5)]).size).toBe(2);
    expect(names.get(5)).toEndWith("-5");
  });

  test("candidates go from short to long and skip invalid names", () => {
    expect(nameCandidates(id("ann@example.com", "Example Inc"))).toEqual([
      "example-inc",
      "ann",
      "ann-example",
      "ann-at-example.com",
      "ann-at-example.com-example-inc",
    ]);
    const names = distinctAccountNames(
      [{ id: 1, identity: id("12345@gmail.com") }],
      new Set(),
      (n) => !/^\d+$/.test(n),
    );
    expect(names.get(1)).toBe("12345-gmail");
  });
});
