// `ccp doctor` and the shared workspace: a real shared dir an account grew is merged into the base
// by --fix (never overwriting, collisions reported with both paths), and the last settings merge
// of each account is shown.
import { afterEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { DoctorReport, Finding } from "../../src/app/doctor.ts";
import { mergeShareableKeys } from "../../src/overlay/claude-json.ts";
import { addAccountDirect, ccp, makeWorld, reapStrayStandIns, type World } from "./fixture.ts";

afterEach(() => {
  expect(reapStrayStandIns()).toEqual([]);
});

async function doctor(w: World, args: string[] = []) {
  const r = await ccp(w, ["doctor", "--json", ...args], { sacred: false });
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport };
}

function overlay(report: DoctorReport, id: number): Finding[] {
  return report.findings.filter((f) => f.check === "overlay" && f.account?.id === id);
}

describe("ccp doctor --fix merges real shared dirs into the base", () => {
  test("moves the account's transcripts into ~/.claude, reports a collision with both paths, links once resolved", async () => {
    const w = makeWorld();
    const acct = await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const own = join(acct.configDir, "projects");
    unlinkSync(own);
    mkdirSync(join(own, "-Users-me-code-app"), { recursive: true });
    writeFileSync(join(own, "-Users-me-code-app", "from-pooled.jsonl"), "pooled\n");
    writeFileSync(join(own, "-Users-me-code-app", "aaaaaaaa.jsonl"), "a different version\n");
    const baseTranscript = join(w.home, ".claude", "projects", "-Users-me-code-app", "aaaaaaaa.jsonl");
    const baseBytes = readFileSync(baseTranscript, "utf8");

    const found = await doctor(w);
    expect(found.code).toBe(1);
    expect(overlay(found.report, acct.id)).toMatchObject([{ status: "problem", fixable: true }]);
    expect(existsSync(join(w.home, ".claude", "projects", "-Users-me-code-app", "from-pooled.jsonl"))).toBe(
      false,
    );

    const fixed = await doctor(w, ["--fix"]);
    expect(fixed.code).toBe(1);
    const [merged, collision] = overlay(fixed.report, acct.id);
    expect(merged?.status).toBe("fixed");
    expect(merged?.changed[0]).toContain("1 moved");
    expect(collision?.status).toBe("problem");
    expect(collision?.fix).toContain(join(own, "-Users-me-code-app/aaaaaaaa.jsonl"));
    expect(collision?.fix).toContain(join(w.home, ".claude", "projects"));
    expect(
      readFileSync(join(w.home, ".claude", "projects", "-Users-me-code-app", "from-pooled.jsonl"), "utf8"),
    ).toBe("pooled\n");
    // Neither side of the collision was touched.
    expect(readFileSync(baseTranscript, "utf8")).toBe(baseBytes);
    expect(readFileSync(join(own, "-Users-me-code-app", "aaaaaaaa.jsonl"), "utf8")).toBe(
      "a different version\n",
    );
    expect(lstatSync(own).isSymbolicLink()).toBe(false);

    // The user keeps the base's copy; the next repair links the folder.
    rmSync(join(own, "-Users-me-code-app", "aaaaaaaa.jsonl"));
    const linked = await doctor(w, ["--fix"]);
    expect(linked.code).toBe(0);
    expect(readlinkSync(own)).toBe(join(w.home, ".claude", "projects"));
  });
});

describe("ccp doctor shows what the settings merge moved", () => {
  test("the last write-back of an account is listed", async () => {
    const w = makeWorld();
    const acct = await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const accountJsonPath = join(acct.configDir, ".claude.json");
    const baseJsonPath = join(w.home, ".claude.json");
    mergeShareableKeys({ baseJsonPath, accountJsonPath });
    const config = JSON.parse(readFileSync(accountJsonPath, "utf8"));
    config.theme = "light";
    writeFileSync(accountJsonPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    expect(mergeShareableKeys({ baseJsonPath, accountJsonPath }).toBase).toEqual(["theme"]);

    const { code, report } = await doctor(w);
    expect(code).toBe(0);
    const flow = report.findings.filter((f) => f.check === "settings-flow" && f.account?.id === acct.id);
    expect(flow).toHaveLength(1);
    expect(flow[0]?.status).toBe("info");
    expect(flow[0]?.message).toContain("to ~/.claude.json: theme");
  });
});

describe("ccp remove keeps the conversations an account grew on its own", () => {
  test("its real transcripts move into ~/.claude; a collision stops the removal until it is resolved", async () => {
    const w = makeWorld();
    const acct = await addAccountDirect(w, { email: "alice@gmail.com", label: "work" });
    const own = join(acct.configDir, "projects");
    unlinkSync(own);
    mkdirSync(join(own, "-Users-me-code-app"), { recursive: true });
    writeFileSync(join(own, "-Users-me-code-app", "kept.jsonl"), "keep me\n");
    writeFileSync(join(own, "-Users-me-code-app", "aaaaaaaa.jsonl"), "other content\n");

    const refused = await ccp(w, ["remove", "work"], { sacred: false });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(join(own, "-Users-me-code-app/aaaaaaaa.jsonl"));
    expect(existsSync(acct.configDir)).toBe(true);
    expect(readFileSync(join(own, "-Users-me-code-app", "aaaaaaaa.jsonl"), "utf8")).toBe("other content\n");
    const moved = join(w.home, ".claude", "projects", "-Users-me-code-app", "kept.jsonl");
    expect(readFileSync(moved, "utf8")).toBe("keep me\n");

    rmSync(join(own, "-Users-me-code-app", "aaaaaaaa.jsonl"));
    const removed = await ccp(w, ["remove", "work"], { sacred: false });
    expect(removed.code).toBe(0);
    expect(existsSync(acct.configDir)).toBe(false);
    expect(readFileSync(moved, "utf8")).toBe("keep me\n");
  });
});
