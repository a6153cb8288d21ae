import { describe, expect, it } from 'vitest';
import { HelloSchema } from '../../shared/protocol.js';
import { helloFor } from '../registry/testing.js';
import { appHarness } from './testing/harness.js';

const tuning = [
  { name: 'cpu_governor', value: null, recommended: 'performance', ok: null, note: 'not applicable: …' },
  { name: 'numa_balancing', value: '1', recommended: '0', ok: false, note: 'is 1, recommended 0: sysctl …' },
] as const;

describe('host tuning in the hello and GET /v1/nodes/{id}', () => {
  it('the hello carries the checks and the node detail shows them', async () => {
    const h = await appHarness();
    const hello = HelloSchema.parse({ ...helloFor('n1'), tuning });
    h.addNode('n1', undefined, hello);
    const r = await h.call('GET', '/v1/nodes/n1');
    expect(r.status).toBe(200);
    expect(r.body.tuning).toEqual(tuning);
  });

  it('an older agent without tuning shows an empty list; a bad check is refused by the schema', async () => {
    const h = await appHarness();
    h.addNode('n2');
    expect((await h.call('GET', '/v1/nodes/n2')).body.tuning).toEqual([]);
    const bad = HelloSchema.safeParse({ ...helloFor('n3'), tuning: [{ ...tuning[0], name: 'swappiness' }] });
    expect(bad.success).toBe(false);
  });
});
