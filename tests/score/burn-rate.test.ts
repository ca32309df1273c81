import { describe, expect, test } from "bun:test";
import { burnRate5h } from "../../src/score/index.ts";
import { MIN_MS, NOW_MS, samples } from "./build.ts";

describe("burnRate5h", () => {
  test.each([
    [
      "a steady 30%/h over 40 min",
      samples([
        [40, 10],
        [30, 15],
        [20, 20],
        [10, 25],
        [0, 30],
      ]),
      30,
    ],
    [
      "noisy points by least squares",
      samples([
        [15, 10],
        [10, 12],
        [5, 11],
        [0, 16],
      ]),
      20.4,
    ],
    [
      "three samples spanning exactly 10 min",
      samples([
        [10, 10],
        [5, 12],
        [0, 14],
      ]),
      24,
    ],
    [
      "three samples spanning just under 10 min",
      [
        { takenAtMs: NOW_MS - 10 * MIN_MS + 1, util5Pct: 10, reset5AtMs: null },
        { takenAtMs: NOW_MS - 5 * MIN_MS, util5Pct: 12, reset5AtMs: null },
        { takenAtMs: NOW_MS, util5Pct: 14, reset5AtMs: null },
      ],
      0,
    ],
    [
      "two samples however far apart",
      samples([
        [40, 10],
        [0, 50],
      ]),
      0,
    ],
    ["no samples", [], 0],
    [
      "a flat line",
      samples([
        [20, 40],
        [10, 40],
        [0, 40],
      ]),
      0,
    ],
    [
      "samples all at one instant",
      samples([
        [0, 10],
        [0, 20],
        [0, 30],
      ]),
      0,
    ],
  ])("%s", (_label, history, expected) => {
    expect(burnRate5h(history, NOW_MS)).toBeCloseTo(expected, 9);
  });

  test("only the last 45 min count, the edge included", () => {
    const recent = samples([
      [45, 10],
      [30, 20],
      [15, 30],
    ]);
    const older = samples([
      [46, 90],
      [120, 0],
    ]);
    expect(burnRate5h([...older, ...recent], NOW_MS)).toBeCloseTo(40, 9);
    // Without the edge sample only two remain.
    expect(burnRate5h([...older, ...recent.slice(1)], NOW_MS)).toBe(0);
  });

  test("samples from the future are ignored", () => {
    const history = [
      ...samples([
        [20, 10],
        [10, 20],
        [0, 30],
      ]),
      { takenAtMs: NOW_MS + 10 * MIN_MS, util5Pct: 0, reset5AtMs: null },
    ];
    expect(burnRate5h(history, NOW_MS)).toBeCloseTo(60, 9);
  });

  test("only samples after the latest reset inside the span count", () => {
    const resetMs = NOW_MS - 20 * MIN_MS;
    const before = samples(
      [
        [40, 80],
        [30, 90],
        [25, 95],
      ],
      resetMs,
    );
    const after = samples(
      [
        [15, 5],
        [10, 10],
        [5, 15],
      ],
      resetMs + 5 * 60 * MIN_MS,
    );
    expect(burnRate5h([...before, ...after], NOW_MS)).toBeCloseTo(60, 9);
    // Too few samples after the reset: no rate, rather than the negative slope across it.
    expect(burnRate5h([...before, ...after.slice(1)], NOW_MS)).toBe(0);
  });

  test("a reset before the span or still ahead does not cut it", () => {
    const history = [
      ...samples([[40, 10]], NOW_MS - 60 * MIN_MS),
      ...samples(
        [
          [20, 20],
          [0, 30],
        ],
        NOW_MS + 2 * 60 * MIN_MS,
      ),
    ];
    expect(burnRate5h(history, NOW_MS)).toBeCloseTo(30, 1);
  });

  test("input order does not matter and the input is left alone", () => {
    const history = samples([
      [0, 30],
      [30, 15],
      [10, 25],
      [40, 10],
      [20, 20],
    ]);
    const copy = structuredClone(history);
    expect(burnRate5h(history, NOW_MS)).toBeCloseTo(30, 9);
    expect(history).toEqual(copy);
  });
});
