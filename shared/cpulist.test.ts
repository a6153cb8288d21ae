import { describe, expect, it } from 'vitest';
import { formatCpuList, parseCpuList } from './cpulist.js';

describe('parseCpuList', () => {
  it.each([
    ['', []],
    ['5', [5]],
    ['0-3', [0, 1, 2, 3]],
    ['0-1,8-9', [0, 1, 8, 9]],
    ['16-17,52-53', [16, 17, 52, 53]],
    ['3,1,2,1', [1, 2, 3]],
    [' 0-2\n', [0, 1, 2]],
  ])('parses %j', (input, want) => {
    expect(parseCpuList(input)).toEqual(want);
  });

  it.each(['a', '3-1', '1,,2', '-1', '1-', '70000'])('rejects %j with invalid_cpulist', (input) => {
    expect(() => parseCpuList(input)).toThrow(expect.objectContaining({ code: 'invalid_cpulist' }));
  });
});

describe('formatCpuList', () => {
  it.each([
    [[], ''],
    [[0, 1, 2, 3, 8, 9, 10, 11], '0-3,8-11'],
    [[52, 16, 53, 17], '16-17,52-53'],
    [[7], '7'],
  ])('formats %j', (ids, want) => {
    expect(formatCpuList(ids)).toBe(want);
  });
});
