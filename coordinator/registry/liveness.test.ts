import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVENESS, heartbeatIntervalMs, isDown } from './liveness.js';

describe('heartbeatIntervalMs', () => {
  it.each([
    [1, 5_000],
    [100, 5_000],
    [250, 5_000],
    [1_000, 20_000],
    [10_000, 200_000],
  ])('gives %i nodes a %i ms base interval', (nodes, want) => {
    expect(heartbeatIntervalMs(DEFAULT_LIVENESS, nodes, 0)).toBe(want);
  });

  it('keeps fleet-wide heartbeat load under the configured rate at any size', () => {
    for (const nodes of [10, 500, 2_000, 50_000]) {
      const interval = heartbeatIntervalMs(DEFAULT_LIVENESS, nodes, 0.99);
      expect(nodes / (interval / 1000)).toBeLessThanOrEqual(DEFAULT_LIVENESS.maxHeartbeatsPerSecond);
    }
  });

  it('adds at most jitterFraction of jitter', () => {
    expect(heartbeatIntervalMs(DEFAULT_LIVENESS, 1, 0.999)).toBeLessThanOrEqual(5_500);
  });
});

describe('isDown', () => {
  it.each([
    [0, 14_999, false],
    [0, 15_000, false],
    [0, 15_001, true],
  ])('last seen %i, now %i → down %s', (last, now, want) => {
    expect(isDown(DEFAULT_LIVENESS, last, 5_000, now)).toBe(want);
  });
});

describe('isDown with a stalled loop', () => {
  it('does not count the time the coordinator itself was stalled as the node silence', () => {
    // 1 s beats, down after 2 missed: 5 s of silence of which 4.5 s the loop did not run
    const cfg = { ...DEFAULT_LIVENESS, missedIntervals: 2 };
    expect(isDown(cfg, 0, 1_000, 5_000, 4_500)).toBe(false);
    expect(isDown(cfg, 0, 1_000, 5_000, 0)).toBe(true);
  });
});
