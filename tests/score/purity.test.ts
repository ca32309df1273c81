import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const SCORE_DIR = join(import.meta.dir, "..", "..", "src", "score");

const FORBIDDEN: Array<[string, RegExp]> = [
  ["the clock (Date)", /\bDate\b/],
  ["the clock (performance)", /\bperformance\b/],
  ["timers", /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/],
  ["randomness", /\bMath\s*\.\s*random\b|\bcrypto\b/],
  ["process", /\bprocess\b/],
  ["Bun", /\bBun\b/],
  ["fetch", /\bfetch\b/],
  ["globalThis", /\bglobalThis\b/],
  ["require", /\brequire\s*\(/],
  ["dynamic import", /\bimport\s*\(/],
];

/** Removes comments, keeping string contents, so prose about these names does not count. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function moduleSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

/** Every way a file breaks the purity rule; empty when it is clean. */
function purityProblems(source: string): string[] {
  const code = stripComments(source);
  const problems: string[] = [];
  for (const specifier of moduleSpecifiers(code)) {
    if (!specifier.startsWith("./")) problems.push(`imports ${specifier}`);
  }
  for (const [what, pattern] of FORBIDDEN) {
    if (pattern.test(code)) problems.push(`uses ${what}`);
  }
  return problems;
}

describe("purity scan", () => {
  test.each([
    ['import { readFileSync } from "node:fs";', "imports node:fs"],
    ['import type { Env } from "../env.ts";', "imports ../env.ts"],
    ['export { x } from "valibot";', "imports valibot"],
    ['import "picocolors";', "imports picocolors"],
    ["const {\n  a,\n} = x;\nimport {\n  b,\n} from '../store/db.ts';", "imports ../store/db.ts"],
    ["const t = Date.now();", "uses the clock (Date)"],
    ["const d = new Date();", "uses the clock (Date)"],
    ["const t = performance.now();", "uses the clock (performance)"],
    ["const r = Math.random();", "uses randomness"],
    ["const r = crypto.getRandomValues(a);", "uses randomness"],
    ["const home = process.env.HOME;", "uses process"],
    ["const f = Bun.file(p);", "uses Bun"],
    ["await fetch(url);", "uses fetch"],
    ["setTimeout(f, 1);", "uses timers"],
    ["const m = await import('./x.ts');", "uses dynamic import"],
  ])("catches %p", (source, problem) => {
    expect(purityProblems(source)).toContain(problem);
  });

  test("accepts local imports and prose in comments", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "./b.ts";',
      'export * from "./c.ts";',
      "// no Date.now(), process or fetch here",
      "/* Bun and Math.random stay out */",
      "const url = 'https://example.com'; // a comment after code",
    ].join("\n");
    expect(purityProblems(source)).toEqual([]);
  });

  test("src/score imports nothing from outside itself and touches no clock, process, Bun, fetch or randomness", () => {
    const files = readdirSync(SCORE_DIR, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files.every((file) => file.endsWith(".ts"))).toBe(true);
    const problems = files.flatMap((file) =>
      purityProblems(readFileSync(file, "utf8")).map((problem) => `${file}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });
});
