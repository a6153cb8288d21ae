import { describe, expect, it } from 'vitest';
import { seedShapedSpec } from './testing.js';
import { useVmTestEnv } from './testing/env.js';

// A paused guest (an operator's `virsh suspend`, or QEMU stopping it on an I/O error) must not look
// running. libvirt's test:///default driver implements virDomainSuspend/Resume, so this is real libvirt.

const PREFIX = `vmpool-pause-${process.pid}`;
const env = useVmTestEnv(PREFIX);
let n = 0;
const uniqueName = () => `${PREFIX}-${++n}`;

describe('a paused domain', () => {
  it('is reported paused with reason user after refreshStates, and running again after it resumes', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName());
    const { vm_id } = await m.spawn(spec);
    await env.hv.suspend(spec.name);
    expect(await env.hv.lookupDomain(spec.name)).toMatchObject({ state: 'paused', paused_reason: 'user' });

    await m.refreshStates();
    expect(m.reports().find((r) => r.vm_id === vm_id)).toMatchObject({
      state: 'paused',
      state_reason: 'user',
    });

    await env.hv.resume(spec.name);
    await m.refreshStates();
    const back = m.reports().find((r) => r.vm_id === vm_id);
    expect(back?.state).toBe('running');
    expect(back?.state_reason).toBeUndefined();
  });

  it('power start resumes it (virDomainResume): same domain id, running, no reason left', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName());
    const { vm_id } = await m.spawn(spec);
    const id = (await env.hv.lookupDomain(spec.name))?.id;
    await env.hv.suspend(spec.name);

    const report = await m.power(vm_id, 'start', 1000);
    expect(report.state).toBe('running');
    expect(report.state_reason).toBeUndefined();
    // resumed, not restarted: the running domain keeps its id
    expect(await env.hv.lookupDomain(spec.name)).toMatchObject({ state: 'running', id });
    expect((await env.sidecars.readForDisk(spec.disk_path))?.observed_reason).toBeUndefined();
  });

  it('power stop turns it off', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName());
    const { vm_id } = await m.spawn(spec);
    await env.hv.suspend(spec.name);
    const report = await m.power(vm_id, 'stop', 500);
    expect(report.state).toBe('stopped');
    expect((await env.hv.lookupDomain(spec.name))?.state).toBe('shutoff');
  });

  it('recovery adopts it as paused and never resumes it, even with restartStopped', async () => {
    const spec = seedShapedSpec(env, uniqueName());
    await env.manager().spawn(spec);
    await env.hv.suspend(spec.name);

    const m = env.manager();
    const r = await m.recover({ restartStopped: true });
    expect(r.adopted).toEqual([spec.name]);
    expect(r.restarted).toEqual([]);
    expect((await env.hv.lookupDomain(spec.name))?.state).toBe('paused');
    expect(m.reports()[0]).toMatchObject({ state: 'paused', state_reason: 'user' });
    expect(await env.sidecars.readForDisk(spec.disk_path)).toMatchObject({
      observed_state: 'paused',
      observed_reason: 'user',
    });
  });
});
