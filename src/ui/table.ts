import { safeText } from "./safe-text.ts";
/** Visible width of a string: ANSI codes do not count; wide characters are not special-cased. */
export function visibleWidth(text: string): number {
  return [...text.replace(/\u001B\[[0-9;]*m/g, "")].length;
}

export function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - visibleWidth(text)));
}

export function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - visibleWidth(text))) + text;
}

/** Plain columns separated by two spaces; `align` "r" right-aligns a column. */
export function renderColumns(cells: string[][], align: Array<"l" | "r"> = []): string[] {
  // Cells carry names, emails and paths from outside: shown escaped, never acted on.
  const rows = cells.map((row) => row.map(safeText));
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (align[i] === "r" ? padStart(cell, widths[i] ?? 0) : padEnd(cell, widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
