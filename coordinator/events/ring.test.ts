import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';
import { EventRing } from './ring.js';

const emitN = async (bus: EventBus, n: number) => {
  for (let i = 0; i < n; i++) await bus.emit({ type: 'node.up', node_id: `n${i}` });
};

describe('EventRing', () => {
  it('holds exactly the latest `size` events whatever the count, and reports a gap behind them', async () => {
    const bus = new EventBus();
    const ring = new EventRing(bus, 4);
    for (const total of [3, 4, 5, 7, 8, 9, 13]) {
      const before = ring.after(0).events.at(-1)?.seq ?? 0;
      await emitN(bus, total - before);
      const held = ring.after(0);
      expect(held.events.map((e) => e.seq)).toEqual(
        Array.from({ length: Math.min(total, 4) }, (_, i) => total - Math.min(total, 4) + 1 + i),
      );
      expect(held.oldest).toBe(Math.max(1, total - 3));
      expect(held.gap).toBe(total > 4);
      // a reader that saw the seq just before the oldest held has no gap
      expect(ring.after(held.oldest - 1).gap).toBe(false);
    }
  });
});
