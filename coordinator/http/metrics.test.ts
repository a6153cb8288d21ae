import { open } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

const openFds = (text: string) => Number(/^vmpool_coordinator_process_open_fds (\d+)$/m.exec(text)?.[1]);

describe('createMetrics', () => {
  it.skipIf(process.platform !== 'linux')(
    'counts open descriptors as prom-client did, listed off the loop',
    async () => {
      const m = createMetrics({ nodes: () => ({}), vms: () => ({}) });
      const before = openFds(await m.render());
      expect(before).toBe(readdirSync('/proc/self/fd').length - 1);
      const files = await Promise.all([0, 1, 2].map(() => open('/proc/self/stat')));
      try {
        expect(openFds(await m.render())).toBe(before + 3);
      } finally {
        await Promise.all(files.map((f) => f.close()));
      }
      expect(m.registry.getSingleMetric('vmpool_coordinator_process_open_fds')).toBeDefined();
    },
  );

  it('renders the per-node families in a later event-loop turn than the registry', async () => {
    const order: string[] = [];
    const m = createMetrics({
      nodes: () => ({ ready: 1 }),
      vms: () => ({}),
      fleet: () => ({
        connections: 1,
        series: async () => {
          order.push('series');
          return [Buffer.from('vmpool_node_heartbeat_age_seconds{node="a"} '), Buffer.from('1\n')];
        },
      }),
    });
    // the one collector that waits on I/O would yield by itself: without it the registry is microtasks only
    m.registry.removeSingleMetric('vmpool_coordinator_process_open_fds');
    const rendering = m.renderBody();
    setImmediate(() => order.push('queued I/O turn'));
    const body = (await rendering).toString();
    expect(order).toEqual(['queued I/O turn', 'series']);
    expect(body).toMatch(/^vmpool_agent_connections 1$/m);
    expect(body.endsWith('vmpool_node_heartbeat_age_seconds{node="a"} 1\n')).toBe(true);
    expect(body).toMatch(/^vmpool_nodes\{state="ready"\} 1$/m);
  });
});
