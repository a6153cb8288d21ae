import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LibvirtHypervisor, openLibvirt } from '../hypervisor/libvirt/index.js';
import { recover } from './recovery.js';
import { makeVmTestEnv, seedShapedSpec } from './testing.js';
let hv: LibvirtHypervisor;
beforeAll(async () => { hv = await openLibvirt('test:///default'); });
afterAll(async () => { await hv.close(); });
it('failed survives refresh?', async () => {
  const env = await makeVmTestEnv('vmpool-zzs', hv);
  try {
    const spec = seedShapedSpec(env, 'vmpool-zzs-1');
    await env.manager().spawn(spec);
    await hv.destroy(spec.name); await hv.undefine(spec.name);
    await rm(`${env.sysRoot}/sys/class/net/br0`, { recursive: true });
    const m = env.manager();
    await recover(m);
    const before = m.reports()[0];
    await m.refreshStates();
    const after = m.reports()[0];
    expect([before?.state, before?.failure?.code, after?.state, after?.failure?.code]).toEqual(['failed','bridge_not_found','failed','bridge_not_found']);
  } finally { await env.cleanup(); }
});
