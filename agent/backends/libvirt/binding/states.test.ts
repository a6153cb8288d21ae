import { describe, expect, it } from 'vitest';
import { cpumapLength, cpumapToCpus, domainStateName, numaModeName, pausedReasonName } from './states.js';

describe('domainStateName', () => {
  it.each([
    [0, 'nostate'],
    [1, 'running'],
    [3, 'paused'],
    [5, 'shutoff'],
    [7, 'pmsuspended'],
    [99, 'nostate'],
  ])('maps virDomainState %i to %s', (state, name) => {
    expect(domainStateName(state)).toBe(name);
  });
});

describe('numaModeName', () => {
  it.each([
    [0, 'strict'],
    [1, 'preferred'],
    [2, 'interleave'],
    [3, 'restrictive'],
    [4, 'unknown'],
  ])('maps virDomainNumatuneMemMode %i to %s', (mode, name) => {
    expect(numaModeName(mode)).toBe(name);
  });
});

describe('cpumap helpers', () => {
  it.each([
    [1, 1],
    [8, 1],
    [9, 2],
    [72, 9],
  ])('cpumapLength(%i) is %i bytes', (cpus, bytes) => {
    expect(cpumapLength(cpus)).toBe(bytes);
  });

  it.each([
    ['cpu 0 and 1', [0b11], 2, [0, 1]],
    ['bit 0 of the second byte is cpu 8', [0, 0b1], 16, [8]],
    ['cpu 36 and 37 on a 72-cpu host', [0, 0, 0, 0, 0b110000, 0, 0, 0, 0], 72, [36, 37]],
    ['bits past cpuCount are ignored', [0xff], 3, [0, 1, 2]],
  ])('cpumapToCpus: %s', (_label, bytes, cpuCount, cpus) => {
    expect(cpumapToCpus(Uint8Array.from(bytes), cpuCount)).toEqual(cpus);
  });
});

describe('pausedReasonName', () => {
  it.each([
    [0, 'unknown'],
    [1, 'user'],
    [5, 'ioerror'],
    [6, 'watchdog'],
    [8, 'shutting_down'],
    [14, 'api_error'],
    [99, 'unknown'],
  ])('maps virDomainPausedReason %i to %s', (reason, name) => {
    expect(pausedReasonName(reason)).toBe(name);
  });
});
