import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseVmpoolMetadata } from '../backends/libvirt/index.js';
import type { SpawnPhase } from '../sidecar/schema.js';
import { sidecarPathFor } from '../sidecar/schema.js';
import { seedShapedSpec, vmFiles } from './testing.js';
import { useVmTestEnv } from './testing/env.js';

const PREFIX = `vmpool-mgr-${process.pid}`;
const env = useVmTestEnv(PREFIX);
let n = 0;
const uniqueName = () => `${PREFIX}-${++n}`;

describe('VmManager.spawn and destroy on test:///default', () => {
  it('spawns a seed-003-shaped VM pinned as asked, reports it, destroys it, then says vm_not_found', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName());
    const steps: SpawnPhase[] = [];
    const report = await m.spawn(spec, (p) => steps.push(p));

    expect(steps).toEqual(['overlay', 'extra_disks', 'seed_iso', 'defined', 'started', 'verified']);
    const dom = await env.hv.lookupDomain(spec.name);
    expect(dom?.state).toBe('running');
    expect(report).toMatchObject({ name: spec.name, state: 'running', domain_uuid: dom?.uuid, numa_node: 0 });
    expect(report.vcpu_pins).toEqual([0, 36]);
    expect(report.emulator_cpuset).toEqual([16, 17, 52, 53]);
    // libvirt's test driver has no guest agent access: the report claims no guest state at all
    expect(report.guest).toBeUndefined();
    expect(parseVmpoolMetadata(await env.hv.xmlDesc(spec.name))?.id).toBe(report.vm_id);
    expect(await env.hv.vcpuPins(spec.name)).toEqual([[0], [36]]);
    expect(await env.hv.emulatorPin(spec.name)).toEqual([16, 17, 52, 53]);
    expect(await env.hv.numaTune(spec.name)).toEqual({ mode: 'strict', nodeset: '0' });

    const side = await env.sidecars.readForDisk(spec.disk_path);
    expect(side).toMatchObject({ vm_id: report.vm_id, phase: 'done', observed_state: 'running' });
    expect(side?.domain_uuid).toBe(dom?.uuid);
    expect(vmFiles(spec)).toEqual({ disk: true, iso: true, sidecar: true, folder: true });
    expect(m.reports().map((r) => [r.vm_id, r.state])).toEqual([[report.vm_id, 'running']]);

    await m.destroy(report.vm_id);
    expect(await env.hv.lookupDomain(spec.name)).toBeNull();
    expect(vmFiles(spec)).toEqual({ disk: false, iso: false, sidecar: false, folder: false });
    expect(m.reports()).toEqual([]);
    await expect(m.destroy(report.vm_id)).rejects.toMatchObject({ code: 'vm_not_found' });
  });

  it('destroys by name with keepDisk, leaving the disk and nothing else', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName());
    await m.spawn(spec);
    await m.destroy(spec.name, { keepDisk: true });
    expect(await env.hv.lookupDomain(spec.name)).toBeNull();
    expect(vmFiles(spec)).toEqual({ disk: true, iso: false, sidecar: false, folder: true });
  });

  it('answers a repeated spawn of the same vm_id with the existing VM instead of failing', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName(), { vm_id: 'retry-1' });
    const first = await m.spawn(spec);
    const again = await m.spawn(spec);
    expect(again).toEqual(first);
    expect(m.reports()).toHaveLength(1);
  });
});

describe('VmManager.spawn rollback', () => {
  it('rolls back a spec whose bridge is missing after the seed ISO step and leaves nothing', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName(), { bridge_network_interface: 'nobr0' });
    const steps: SpawnPhase[] = [];
    await expect(m.spawn(spec, (p) => steps.push(p))).rejects.toMatchObject({ code: 'bridge_not_found' });
    // the failure comes after the ISO was written, so rollback had real files to remove
    expect(steps).toEqual(['overlay', 'extra_disks', 'seed_iso']);
    expect(await env.hv.lookupDomain(spec.name)).toBeNull();
    expect(vmFiles(spec)).toEqual({ disk: false, iso: false, sidecar: false, folder: false });
    expect(m.reports()).toEqual([]);
  });

  it('rolls back a started domain whose pins libvirt reports differently (pin_mismatch)', async () => {
    // libvirt applying other pins than asked is simulated by a hypervisor that misreports one vCPU
    const lying = new Proxy(env.hv, {
      get(target, prop, receiver) {
        if (prop === 'vcpuPins')
          return async (name: string) => [[1], ...(await target.vcpuPins(name)).slice(1)];
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const m = env.manager({ hv: lying });
    const spec = seedShapedSpec(env, uniqueName());
    const steps: SpawnPhase[] = [];
    await expect(m.spawn(spec, (p) => steps.push(p))).rejects.toMatchObject({ code: 'pin_mismatch' });
    expect(steps).toEqual(['overlay', 'extra_disks', 'seed_iso', 'defined', 'started']);
    expect(await env.hv.lookupDomain(spec.name)).toBeNull();
    expect(vmFiles(spec)).toEqual({ disk: false, iso: false, sidecar: false, folder: false });
  });

  it('refuses a name held by a foreign domain with name_in_use and leaves that domain alone', async () => {
    const m = env.manager();
    const name = uniqueName();
    await env.hv.defineXml(
      `<domain type='test'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
    );
    const spec = seedShapedSpec(env, name);
    await expect(m.spawn(spec)).rejects.toMatchObject({ code: 'name_in_use' });
    expect(await env.hv.lookupDomain(name)).toMatchObject({ name, state: 'shutoff' });
    expect(parseVmpoolMetadata(await env.hv.xmlDesc(name))).toBeNull();
    expect(vmFiles(spec)).toEqual({ disk: false, iso: false, sidecar: false, folder: false });
  });

  it('refuses a second VM on the same pins with pin_in_use before touching disk', async () => {
    const m = env.manager();
    await m.spawn(seedShapedSpec(env, uniqueName()));
    const second = seedShapedSpec(env, uniqueName());
    await expect(m.spawn(second)).rejects.toMatchObject({ code: 'pin_in_use' });
    expect(vmFiles(second).folder).toBe(false);
  });
});

describe('VmManager.refreshStates', () => {
  it('updates observed_state in memory after a domain stops behind its back, without writing the sidecar', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName());
    const { vm_id } = await m.spawn(spec);
    const file = sidecarPathFor(spec.disk_path);
    const before = { mtime: (await stat(file)).mtimeMs, gen: (await env.sidecars.read(file))?.generation };

    await env.hv.destroy(spec.name);
    await m.refreshStates();

    expect(m.reports().find((r) => r.vm_id === vm_id)?.state).toBe('stopped');
    expect(m.reports()[0]?.state).toBe('stopped');
    expect((await stat(file)).mtimeMs).toBe(before.mtime);
    expect((await env.sidecars.read(file))?.generation).toBe(before.gen);
    expect((await env.sidecars.read(file))?.observed_state).toBe('running');
  });

  it('reports unknown when the domain is gone altogether', async () => {
    const m = env.manager();
    const spec = seedShapedSpec(env, uniqueName());
    const { vm_id } = await m.spawn(spec);
    await env.hv.destroy(spec.name);
    await env.hv.undefine(spec.name);
    await m.refreshStates();
    expect(m.reports().find((r) => r.vm_id === vm_id)?.state).toBe('unknown');
  });
});
