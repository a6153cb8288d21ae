import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectLater } from './metrics.js';

function registryWith(order: string[]) {
  const registry = new Registry();
  for (const name of ['a', 'b']) {
    new Gauge({
      name,
      help: name,
      registers: [registry],
      collect() {
        order.push(name);
        this.set(1);
      },
    });
  }
  return registry;
}

describe('collectLater', () => {
  it('runs a collector after the given number of event-loop turns, its value still in the scrape', async () => {
    const order: string[] = [];
    const registry = registryWith(order);
    collectLater(registry, 'a', 2);
    const text = registry.metrics();
    setImmediate(() => order.push('turn 1'));
    expect(order).toEqual(['b']); // b collected at once, a not yet
    await text.then((t) => expect(t).toMatch(/^a 1$/m));
    expect(order).toEqual(['b', 'turn 1', 'a']);
  });

  it('leaves an unknown metric alone', async () => {
    const registry = registryWith([]);
    collectLater(registry, 'nope', 1);
    expect(await registry.metrics()).toMatch(/^b 1$/m);
  });
});
