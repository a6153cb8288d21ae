import { describe, expect, it } from 'vitest';
import { formatGb, formatPairs, formatTable } from './table.js';

describe('formatTable', () => {
  it('pads columns to the widest cell and right-aligns number columns', () => {
    const out = formatTable(
      ['NAME', 'VCPU'],
      [
        ['web-1', 4],
        ['database', 32],
      ],
    );
    expect(out).toBe(['NAME      VCPU', 'web-1        4', 'database    32', ''].join('\n'));
  });

  it('left-aligns a column holding any text and shows null as a dash', () => {
    const out = formatTable(
      ['ID', 'NODE'],
      [
        ['a', null],
        ['bb', 'n1'],
      ],
    );
    expect(out.split('\n')).toEqual(['ID  NODE', 'a   -', 'bb  n1', '']);
  });

  it('right-aligns a text column the caller marks right', () => {
    const out = formatTable(['N', { header: 'USED/TOTAL', align: 'right' }], [['x', '4/64']]);
    expect(out.split('\n')[1]).toBe('x        4/64');
  });

  it('prints only the header for no rows and never leaves trailing spaces', () => {
    expect(formatTable(['A', 'LONG HEADER', 'B'], [])).toBe('A  LONG HEADER  B\n');
    const out = formatTable(['A', 'B'], [['long value', '']]);
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd());
  });
});

describe('formatGb', () => {
  it.each([
    [120832, '118'],
    [65536, '64'],
    [512, '0.5'],
    [1536, '1.5'],
    [0, '0'],
  ])('formatGb(%i) is %s', (mb, text) => {
    expect(formatGb(mb)).toBe(text);
  });
});

describe('formatPairs', () => {
  it('aligns values after the longest key', () => {
    expect(
      formatPairs([
        ['id', 'v1'],
        ['numa node', 0],
        ['band', null],
      ]),
    ).toBe('id:        v1\nnuma node: 0\nband:      -\n');
  });
});
