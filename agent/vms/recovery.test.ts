import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { SpawnSpec } from '../../shared/spec.js';
import { parseVmpoolMetadata } from '../backends/libvirt/index.js';
import type { Sidecar } from '../sidecar/schema.js';
import { seedShapedSpec, vmFiles } from './testing.js';
import { useVmTestEnv } from './testing/env.js';

const PREFIX = `vmpool-rec-${process.pid}`;
const env = useVmTestEnv(PREFIX);
let n = 0;

/** spawned runs a real spawn with a first manager (the agent before its restart) and returns the spec and sidecar. */
async function spawned(overrides: Partial<SpawnSpec> = {}): Promise<{ spec: SpawnSpec; sidecar: Sidecar }> {
  const name = `${PREFIX}-${++n}`;
  // distinct sibling pairs on node 0 so several VMs fit side by side
  const pins = [String(n % 16), String((n % 16) + 36)];
  const spec = seedShapedSpec(env, name, {
    tuning: {
      vcpu_pins: pins,
      emulator_cpuset: '16-17,52-53',
      numa_memory: { nodeset: '0', mode: 'strict' },
    },
    ...overrides,
  });
  const { vm_id } = await env.manager().spawn(spec);
  const sidecar = await env.sidecars.readForDisk(spec.disk_path);
  if (!sidecar) throw new Error(`spawn of ${name} left no sidecar`);
  return { spec: sidecar.spec, sidecar: { ...sidecar, vm_id } };
}

describe('recover', () => {
  it('adopts a running VM without rewriting its sidecar', async () => {
    const { spec, sidecar } = await spawned();
    const m = env.manager();
    const r = await m.recover();
    expect(r.adopted).toEqual([spec.name]);
    expect(m.reports().map((v) => [v.name, v.state])).toEqual([[spec.name, 'running']]);
    expect((await env.sidecars.readForDisk(spec.disk_path))?.generation).toBe(sidecar.generation);
  });

  it('finishes a destroy recorded with keep_disk: domain, ISO and sidecar gone, disk kept', async () => {
    const { spec, sidecar } = await spawned();
    await env.sidecars.write({ ...sidecar, desired_state: 'destroyed', keep_disk: true });
    const m = env.manager();
    const r = await m.recover();
    expect(r.destroyed).toEqual([spec.name]);
    expect(await env.hv.lookupDomain(spec.name)).toBeNull();
    expect(vmFiles(spec)).toEqual({ disk: true, iso: false, sidecar: false, folder: true });
    expect(m.reports()).toEqual([]);
  });

  it('rolls back a spawn cut short at phase defined and leaves nothing', async () => {
    const { spec, sidecar } = await spawned();
    // what the node looks like right after the define step: domain defined but never started
    await env.hv.destroy(spec.name);
    await env.sidecars.write({ ...sidecar, phase: 'defined', observed_state: 'creating', domain_uuid: null });
    const m = env.manager();
    const r = await m.recover();
    expect(r.rolledBack).toEqual([spec.name]);
    expect(await env.hv.lookupDomain(spec.name)).toBeNull();
    expect(vmFiles(spec)).toEqual({ disk: false, iso: false, sidecar: false, folder: false });
    expect(m.reports()).toEqual([]);
  });

  it('marks a VM whose disk is gone as lost and records why', async () => {
    const { spec } = await spawned();
    await rm(spec.disk_path);
    const m = env.manager();
    const r = await m.recover();
    expect(r.lost).toEqual([spec.name]);
    expect(m.reports()[0]).toMatchObject({ state: 'lost', failure: { code: 'disk_missing' } });
    expect(await env.sidecars.readForDisk(spec.disk_path)).toMatchObject({ observed_state: 'lost' });
  });

  it('redefines and starts a VM whose domain libvirt forgot', async () => {
    const { spec, sidecar } = await spawned();
    await env.hv.destroy(spec.name);
    await env.hv.undefine(spec.name);
    const m = env.manager();
    const r = await m.recover();
    expect(r.redefined).toEqual([spec.name]);
    const dom = await env.hv.lookupDomain(spec.name);
    expect(dom?.state).toBe('running');
    expect(parseVmpoolMetadata(await env.hv.xmlDesc(spec.name))?.id).toBe(sidecar.vm_id);
    expect(await env.hv.vcpuPins(spec.name)).toEqual(spec.tuning.vcpu_pins.map((p) => [Number(p)]));
    expect(await env.sidecars.readForDisk(spec.disk_path)).toMatchObject({
      observed_state: 'running',
      domain_uuid: dom?.uuid,
    });
  });

  it('rebuilds a lost seed ISO before redefining, and leaves no half-defined domain when the start fails', async () => {
    const { spec } = await spawned();
    await env.hv.destroy(spec.name);
    await env.hv.undefine(spec.name);
    await rm(spec.cloud_init_iso_path);
    const r = await env.manager().recover();
    expect(r.redefined).toEqual([spec.name]);
    expect(vmFiles(spec).iso).toBe(true);

    const second = await spawned();
    await env.hv.destroy(second.spec.name);
    await env.hv.undefine(second.spec.name);
    await rm(`${env.sysRoot}/sys/class/net/br0`, { recursive: true });
    const r2 = await env.manager().recover();
    expect(r2.failed).toEqual([second.spec.name]);
    expect(await env.hv.lookupDomain(second.spec.name)).toBeNull();
  });

  it.each([
    { restartStopped: true, bucket: 'restarted', domState: 'running', observed: 'running' },
    { restartStopped: false, bucket: 'stopped', domState: 'shutoff', observed: 'stopped' },
  ] as const)(
    'with restartStopped=$restartStopped puts a shut-off VM in $bucket',
    async ({ restartStopped, bucket, domState, observed }) => {
      const { spec } = await spawned();
      await env.hv.destroy(spec.name);
      const m = env.manager();
      const r = await m.recover({ restartStopped });
      expect(r[bucket]).toEqual([spec.name]);
      expect((await env.hv.lookupDomain(spec.name))?.state).toBe(domState);
      expect(m.reports()[0]?.state).toBe(observed);
      expect((await env.sidecars.readForDisk(spec.disk_path))?.observed_state).toBe(observed);
    },
  );

  it('reports a VM it cannot recover as failed and still adopts the healthy one beside it', async () => {
    const healthy = await spawned({ bridge_network_interface: null });
    const broken = await spawned();
    await env.hv.destroy(broken.spec.name);
    await env.hv.undefine(broken.spec.name);
    // the host lost br0 since the spawn, so redefining the broken VM cannot build its NIC
    await rm(`${env.sysRoot}/sys/class/net/br0`, { recursive: true });
    const m = env.manager();
    const r = await m.recover();
    expect(r.failed).toEqual([broken.spec.name]);
    expect(r.adopted).toEqual([healthy.spec.name]);
    const byName = new Map(m.reports().map((v) => [v.name, v]));
    expect(byName.get(broken.spec.name)).toMatchObject({
      state: 'failed',
      failure: { code: 'bridge_not_found' },
    });
    expect(byName.get(healthy.spec.name)?.state).toBe('running');
    expect(await env.hv.lookupDomain(broken.spec.name)).toBeNull();
    expect(vmFiles(broken.spec).disk).toBe(true);
    // the next heartbeat's libvirt refresh must not turn the recorded failure into `unknown`
    await m.refreshStates();
    expect(m.reports().find((v) => v.name === broken.spec.name)?.state).toBe('failed');
  });

  it('rebuilds a lost sidecar from a domain that carries vmpool metadata', async () => {
    const { spec, sidecar } = await spawned();
    await env.sidecars.remove(spec.disk_path);
    const m = env.manager();
    const r = await m.recover();
    expect(r.rebuilt).toEqual([spec.name]);
    const rebuilt = await env.sidecars.readForDisk(spec.disk_path);
    expect(rebuilt).toMatchObject({ vm_id: sidecar.vm_id, phase: 'done', observed_state: 'running' });
    expect(rebuilt?.spec).toMatchObject({
      base_image_path: env.baseImage,
      bridge_network_interface: 'br0',
      cloud_init_iso_path: spec.cloud_init_iso_path,
      disk_size_gb: spec.disk_size_gb,
      memory_mb: spec.memory_mb,
      tuning: spec.tuning,
    });
    expect(m.reports().map((v) => v.vm_id)).toEqual([sidecar.vm_id]);
  });

  it('never touches a domain without vmpool metadata', async () => {
    const name = `${PREFIX}-foreign-${++n}`;
    await env.hv.defineXml(
      `<domain type='test'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
    );
    const m = env.manager();
    const r = await m.recover();
    expect(r.rebuilt).toEqual([]);
    expect(m.reports()).toEqual([]);
    expect(await env.hv.lookupDomain(name)).toMatchObject({ state: 'shutoff' });
  });
});
