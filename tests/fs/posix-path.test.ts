// The hot path's own path functions (src/fs/posix-path.ts) against node:path, over every short
// combination of the pieces that make paths interesting and a few thousand generated ones.
import { describe, expect, test } from "bun:test";
import * as node from "node:path";
import * as ours from "../../src/fs/posix-path.ts";

const PIECES = ["", "/", "//", ".", "..", "a", "bc", " ", "a.b", "..a", "ü", "./", "../", "a/"];

function* shortPaths(): Generator<string> {
  for (const a of PIECES) for (const b of PIECES) for (const c of PIECES) yield a + b + c;
}

/** A seeded generator: the same paths on every run, so a failure can be replayed. */
function generated(count: number, seed = 0x5eed): string[] {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % n;
  };
  return Array.from({ length: count }, () => {
    let p = "";
    for (let i = next(8); i >= 0; i--) p += PIECES[next(PIECES.length)];
    return p;
  });
}

const PATHS = [...new Set([...shortPaths(), ...generated(4000)])];

describe("posix-path answers exactly what node:path answers", () => {
  test("normalize, dirname, basename and isAbsolute, for every path", () => {
    for (const p of PATHS) {
      const mine = {
        p,
        normalize: ours.normalize(p),
        dirname: ours.dirname(p),
        basename: ours.basename(p),
        isAbsolute: ours.isAbsolute(p),
      };
      expect(mine).toEqual({
        p,
        normalize: node.normalize(p),
        dirname: node.dirname(p),
        basename: node.basename(p),
        isAbsolute: node.isAbsolute(p),
      });
    }
  });

  test("join and resolve, for pairs and triples", () => {
    const sample = generated(600, 7);
    for (let i = 0; i + 2 < sample.length; i += 3) {
      const [a, b, c] = [sample[i], sample[i + 1], sample[i + 2]] as [string, string, string];
      for (const args of [[a], [a, b], [a, b, c], [], ["", ""]]) {
        expect({ args, join: ours.join(...args), resolve: ours.resolve(...args) }).toEqual({
          args,
          join: node.join(...args),
          resolve: node.resolve(...args),
        });
      }
    }
  });

  test("a path and one name, and a path alone (the shortcuts)", () => {
    for (const p of PATHS) {
      for (const name of ["a", "ü b", ".", "..", "a/b", ""]) {
        expect({ p, name, join: ours.join(p, name) }).toEqual({ p, name, join: node.join(p, name) });
      }
      expect({ p, resolve: ours.resolve(p) }).toEqual({ p, resolve: node.resolve(p) });
    }
  });

  test("the separators", () => {
    expect(ours.sep).toBe(node.sep);
    expect(ours.delimiter).toBe(node.delimiter);
  });
});
