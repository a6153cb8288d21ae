import { describe, expect, it } from 'vitest';
import { findCommandWords, intFlag, takeRepeated } from './args.js';

describe('findCommandWords', () => {
  it.each([
    [['list'], ['list']],
    [['--url', 'http://x', '--json', 'list'], ['list']],
    [
      ['--token', 'abc', 'tenants', 'create', '--name', 'a'],
      ['tenants', 'create'],
    ],
    [
      ['show', 'vm-1'],
      ['show', 'vm-1'],
    ],
    [['spawn', '--name', 'web', '--vcpus', '2'], ['spawn']],
    [
      ['--url=http://x', 'audit', 'verify'],
      ['audit', 'verify'],
    ],
    [['--json'], []],
  ])('findCommandWords(%j) is %j', (argv, words) => {
    expect(findCommandWords(argv)).toEqual(words);
  });
});

describe('takeRepeated', () => {
  it('collects every value of a repeatable flag in both spellings and keeps the rest in order', () => {
    const r = takeRepeated(
      ['spawn', '--tag', 'a', '--name', 'x', '--tag=b', '--ssh-key', 'ssh-ed25519 AAA c'],
      ['tag', 'ssh-key'],
    );
    expect(r.values).toEqual({ tag: ['a', 'b'], 'ssh-key': ['ssh-ed25519 AAA c'] });
    expect(r.rest).toEqual(['spawn', '--name', 'x']);
  });

  it('rejects a repeatable flag with no value as a usage error', () => {
    expect(() => takeRepeated(['spawn', '--tag'], ['tag'])).toThrow(
      expect.objectContaining({ code: 'usage' }),
    );
  });
});

describe('intFlag', () => {
  it.each([
    ['4', 4],
    [' 16 ', 16],
    [undefined, undefined],
  ])('intFlag(%j) is %j', (v, n) => {
    expect(intFlag({ vcpus: v }, 'vcpus')).toBe(n);
  });

  it.each(['-1', '2.5', 'four', ''])('intFlag rejects %j as a usage error', (v) => {
    expect(() => intFlag({ vcpus: v }, 'vcpus')).toThrow(expect.objectContaining({ code: 'usage' }));
  });
});
