import { describe, expect, it } from 'vitest';
import { memoryClass, Row } from './free-grid.js';

// A search skips rows and memory classes by their filled-cell counts, so the counts must always
// equal the filled bytes, through fills, empties, repeated marks and the row growing.

function countsMatch(row: Row): void {
  let all = 0;
  for (let m = 0; m < row.memoryClasses; m++) {
    let inClass = 0;
    for (let t = 0; t < row.threadSlots; t++) inClass += row.filled[m * row.threadSlots + t]!;
    expect(row.filledIn[m], `memory class ${m}`).toBe(inClass);
    all += inClass;
  }
  expect(row.filledCells).toBe(all);
}

describe('Row', () => {
  it('counts its filled cells in all and per memory class', () => {
    const row = new Row();
    const a = row.cell(memoryClass(2048), 3);
    a.items.push(1);
    row.mark(a);
    row.mark(a); // marking twice changes nothing
    countsMatch(row);
    expect(row.filledCells).toBe(1);
    // a wider cell grows the row: the counts are rebuilt from the cells
    const b = row.cell(memoryClass(131072), 30);
    b.items.push(2, 3);
    row.mark(b);
    const c = row.cell(memoryClass(2048), 4);
    c.items.push(4);
    row.mark(c);
    countsMatch(row);
    expect(row.filledCells).toBe(3);
    expect(row.filledIn[memoryClass(2048)]).toBe(2);
    a.items.pop();
    row.mark(a);
    row.mark(a);
    countsMatch(row);
    expect(row.filledCells).toBe(2);
    expect(row.filledIn[memoryClass(2048)]).toBe(1);
  });
});
