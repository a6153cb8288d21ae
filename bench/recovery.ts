// bench/recovery.ts — how long agent start-up recovery takes with many VMs, on libvirt's test driver.
// Builds N sidecars (and their domains on test:///default, which lives in this process), then times
// recover() for: all VMs running (adopt), and all spawns cut short (roll back). Prints figures.
// Run after `npm run build`: node dist/bench/recovery.js [--vms 500]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDomainXml } from '../agent/backends/libvirt/domain/xml.js';
import { LibvirtBackend, openLibvirtConnection } from '../agent/backends/libvirt/index.js';
import { newSidecar } from '../agent/sidecar/schema.js';
import { SidecarStore } from '../agent/sidecar/store.js';
import { VmManager } from '../agent/vms/manager.js';
import { parseCpuList } from '../shared/cpulist.js';
import { createLogger } from '../shared/log.js';
import type { SpawnSpec } from '../shared/spec.js';
import type { HostTopology } from '../shared/topology.js';
import { integer } from './lib/option-kinds.js';
import { parseOptions } from './lib/options.js';

const N = parseOptions(process.argv.slice(2), { vms: integer({ min: 1, default: 500 }) }).vms;
const log = createLogger({ component: 'agent', level: 'error' });

function specFor(dir: string, i: number): SpawnSpec {
  return {
    name: `bench-${i}`,
    vcpu_count: 1,
    memory_mb: 128,
    disk_path: join(dir, `vm-${i}`, 'root.qcow2'),
    disk_size_gb: 1,
    base_image_path: join(dir, 'base.qcow2'),
    bridge_network_interface: null,
    cloud_init_iso_path: join(dir, `vm-${i}`, 'seed.iso'),
    tuning: {
      vcpu_pins: [String(i % 8)],
      emulator_cpuset: '0',
      numa_memory: { nodeset: '0', mode: 'strict' },
    },
    user_configs: [],
    vm_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  };
}

const topology: HostTopology = {
  hostname: 'bench',
  kvm: false,
  cpu_model: 'test',
  sockets: 1,
  cores_per_socket: 8,
  threads_per_core: 1,
  memory_mb: 1 << 20,
  numa_nodes: [{ id: 0, memory_mb: 1 << 20, free_memory_mb: 1 << 20, cpus: [] }],
  offline_cpus: [],
};

async function scenario(label: string, phase: 'done' | 'defined'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-bench-recovery-'));
  const hv = await openLibvirtConnection('test:///default', { pinSource: 'xml' });
  const sidecars = new SidecarStore({ imagesDir: dir });
  const backend = new LibvirtBackend({ hv, topology });
  const m = new VmManager({ backend, sidecars, topology, hostReservedCpus: [], imagesDir: dir, log });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const spec = specFor(dir, i);
    await mkdir(join(dir, `vm-${i}`));
    await writeFile(spec.disk_path, '');
    await writeFile(spec.cloud_init_iso_path, '');
    const xml = buildDomainXml(spec, {
      kvm: false,
      vmId: spec.vm_id!,
      pins: spec.tuning.vcpu_pins.map(Number),
      emulatorCpus: parseCpuList('0'),
      bridgeExists: false,
    });
    const dom = await hv.defineXml(xml);
    await hv.start(spec.name);
    const fresh = newSidecar(spec, { vm_id: spec.vm_id!, phase, now: Date.now() });
    // a VM that finished spawning has been seen running; a cut-short one is still creating
    const observed = phase === 'done' ? ({ observed_state: 'running', domain_uuid: dom.uuid } as const) : {};
    await sidecars.write({ ...fresh, ...observed });
  }
  const setupMs = performance.now() - t0;
  const t1 = performance.now();
  const report = await m.recover();
  const ms = performance.now() - t1;
  const counts = `adopted ${report.adopted.length}, rolled back ${report.rolledBack.length}`;
  console.log(
    `${label.padEnd(28)} ${N} VMs: recovery ${ms.toFixed(0)} ms (${((ms / N) * 1000).toFixed(0)} µs/VM; ${counts}; setup ${setupMs.toFixed(0)} ms)`,
  );
  await hv.close();
  await rm(dir, { recursive: true, force: true });
}

await scenario('all running (adopt)', 'done');
await scenario('all half-spawned (rollback)', 'defined');
