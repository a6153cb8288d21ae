import { describe, expect, it } from 'vitest';
import { closestName } from './did-you-mean.js';

const KNOWN = ['listen', 'listenAll', 'dataDir', 'bands', 'ranking', 'cpuOvercommit', 'minHeartbeatMs'];

describe('closestName', () => {
  it.each([
    ['rankng', 'ranking'],
    ['data_dir', 'dataDir'],
    ['DATA-DIR', 'dataDir'],
    ['listen_all', 'listenAll'],
    ['cpuOvercomit', 'cpuOvercommit'],
    ['minHeartbeat', 'minHeartbeatMs'],
    ['band', 'bands'],
    ['colour', undefined],
    ['zzz', undefined],
    ['', undefined],
  ])('suggests for %j: %s', (input, expected) => {
    expect(closestName(input, KNOWN)).toBe(expected);
  });
});
