/** Cell is one table value; numbers right-align unless the column says otherwise. */
export type Cell = string | number | null | undefined;

/** Column is a header and an optional alignment (default: right for numbers, left for text). */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

const GAP = '  ';

/** formatTable renders rows under headers with padded columns and no trailing spaces. */
export function formatTable(
  columns: readonly (Column | string)[],
  rows: readonly (readonly Cell[])[],
): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const text = rows.map((r) => cols.map((_, i) => cellText(r[i])));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...text.map((r) => r[i]!.length)));
  const rightAligned = cols.map(
    (c, i) => c.align === 'right' || (c.align === undefined && isNumericColumn(rows, i)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(GAP)
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...text.map(line)].join('\n') + '\n';
}

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '-';
  return String(v);
}

function isNumericColumn(rows: readonly (readonly Cell[])[], i: number): boolean {
  const present = rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
  return present.length > 0 && present.every((v) => typeof v === 'number');
}

/** formatGb renders mebibytes as GB with at most one decimal ("118", "0.5"), the seed-001 unit. */
export function formatGb(mb: number): string {
  const gb = mb / 1024;
  return Number.isInteger(gb) ? String(gb) : gb.toFixed(1).replace(/\.0$/, '');
}

/** formatPairs renders a key/value block with aligned keys (for `show` and friends). */
export function formatPairs(pairs: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${cellText(v)}`.trimEnd()).join('\n') + '\n';
}
