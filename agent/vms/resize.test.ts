import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isVmpoolError } from '../../shared/errors.js';
import { parseDomainTuning } from '../backends/libvirt/index.js';
import { reshaped } from './resize.js';
import { seedShapedSpec } from './testing.js';
import { useVmTestEnv } from './testing/env.js';

// Resize through the real VmManager and LibvirtBackend over libvirt's test:///default driver, with
// real qcow2 files; the crash case is the sidecar state resizeVm writes before it redefines.

const PREFIX = `vmpool-rsz-${process.pid}`;
const run = promisify(execFile);
const env = useVmTestEnv(PREFIX);
let n = 0;

const order = (vmId: string, o: Partial<{ pins: number[]; memory: number; disk: number }> = {}) => ({
  vm_id: vmId,
  vcpu_count: (o.pins ?? [1, 37, 2, 38]).length,
  memory_mb: o.memory ?? 512,
  disk_size_gb: o.disk ?? 3,
  vcpu_pins: o.pins ?? [1, 37, 2, 38],
  emulator_cpuset: [16, 17, 52, 53],
  numa_node: 0,
});

async function stoppedVm() {
  const m = env.manager();
  const spec = seedShapedSpec(env, `${PREFIX}-${++n}`);
  const { vm_id } = await m.spawn(spec);
  await m.power(vm_id, 'stop', 500);
  const uuid = (await env.hv.lookupDomain(spec.name))?.uuid;
  return { m, spec, vmId: vm_id, uuid };
}

const virtualSize = async (path: string) =>
  (
    JSON.parse((await run('qemu-img', ['info', '--output=json', '-U', path])).stdout) as {
      'virtual-size': number;
    }
  )['virtual-size'];

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (err: unknown) => (isVmpoolError(err) ? err.code : String(err)),
  );
}

describe('VmManager.resize', () => {
  it('redefines the stopped domain with the new pins and memory, same UUID, and grows the disk', async () => {
    const { m, spec, vmId, uuid } = await stoppedVm();
    const report = await m.resize(order(vmId));
    expect([report.vcpu_count, report.memory_mb, report.vcpu_pins]).toEqual([4, 512, [1, 37, 2, 38]]);
    const xml = await env.hv.xmlDesc(spec.name, { inactive: true });
    expect(parseDomainTuning(xml).vcpuPins).toEqual([[1], [37], [2], [38]]);
    expect(xml).toMatch(/<memory unit=['"]KiB['"]>524288<\/memory>/);
    expect((await env.hv.lookupDomain(spec.name))?.uuid).toBe(uuid);
    expect(await virtualSize(spec.disk_path)).toBe(3 * 1024 ** 3);
    const side = await env.sidecars.readForDisk(spec.disk_path);
    expect([side?.spec.memory_mb, side?.resizing, side?.observed_state]).toEqual([512, undefined, 'stopped']);
  });

  it('refuses a running VM, a shrink and pins another VM holds, changing nothing', async () => {
    const m = env.manager();
    const other = seedShapedSpec(env, `${PREFIX}-${++n}`, {
      tuning: {
        vcpu_pins: ['3', '39'],
        emulator_cpuset: '16-17,52-53',
        numa_memory: { nodeset: '0', mode: 'strict' },
      },
    });
    await m.spawn(other);
    const spec = seedShapedSpec(env, `${PREFIX}-${++n}`);
    const { vm_id } = await m.spawn(spec);
    expect(await codeOf(m.resize(order(vm_id)))).toBe('vm_not_stopped');
    await m.power(vm_id, 'stop', 500);
    expect(await codeOf(m.resize(order(vm_id, { disk: 1 })))).toBe('disk_shrink_refused');
    expect(await codeOf(m.resize(order(vm_id, { pins: [3, 39] })))).toBe('pin_in_use');
    expect((await env.sidecars.readForDisk(spec.disk_path))?.spec).toEqual(
      expect.objectContaining({ vcpu_count: 2, memory_mb: 256 }),
    );
    expect(parseDomainTuning(await env.hv.xmlDesc(spec.name, { inactive: true })).vcpuPins).toEqual([
      [0],
      [36],
    ]);
  });

  it('answers a repeated order (the answer was lost) with the VM as it is, changing nothing', async () => {
    const { m, spec, vmId } = await stoppedVm();
    await m.resize(order(vmId));
    const gen = (await env.sidecars.readForDisk(spec.disk_path))?.generation;
    const again = await m.resize(order(vmId));
    expect(again.memory_mb).toBe(512);
    expect((await env.sidecars.readForDisk(spec.disk_path))?.generation).toBe(gen);
  });

  it('after a crash between recording the new spec and redefining, recovery finishes the resize', async () => {
    const { spec, vmId, uuid } = await stoppedVm();
    // exactly what resizeVm writes before it touches the domain (failpoint resize:recorded)
    const side = await env.sidecars.readForDisk(spec.disk_path);
    if (!side) throw new Error('no sidecar');
    await env.sidecars.write({
      ...side,
      vm_id: vmId,
      spec: reshaped(side.spec, order(vmId)),
      resizing: true,
    });
    const m2 = env.manager();
    const r = await m2.recover();
    expect(r.redefined).toEqual([spec.name]);
    expect(parseDomainTuning(await env.hv.xmlDesc(spec.name, { inactive: true })).vcpuPins).toEqual([
      [1],
      [37],
      [2],
      [38],
    ]);
    expect((await env.hv.lookupDomain(spec.name))?.uuid).toBe(uuid);
    expect(await virtualSize(spec.disk_path)).toBe(3 * 1024 ** 3);
    const after = await env.sidecars.readForDisk(spec.disk_path);
    expect([after?.resizing, after?.observed_state, m2.reports()[0]?.state]).toEqual([
      undefined,
      'stopped',
      'stopped',
    ]);
  });
});
