import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { formatCpuList } from '../../../shared/cpulist.js';
import { SpawnSpecSchema, type SpawnSpec } from '../../../shared/spec.js';
import type { DomainSummary } from './hypervisor.js';
import type { VmpoolMetadata } from './domain/metadata.js';
import { parseDomainTuning } from './domain/parse.js';
import { newSidecar, type Sidecar } from '../../sidecar/schema.js';
import { observedOf, type VmManager } from '../../vms/manager.js';

const run = promisify(execFile);

/**
 * rebuildSidecar recreates a lost sidecar from a domain that carries vmpool metadata.
 * Guest users cannot be read back from libvirt, so user_configs comes back empty; everything
 * placement and recovery need (pins, NUMA, disks, identity) is in the domain XML.
 */
export async function rebuildSidecar(
  m: VmManager,
  dom: DomainSummary,
  xml: string,
  meta: VmpoolMetadata,
): Promise<Sidecar | null> {
  const log = m.o.log.child({ vm_id: meta.id, vm_name: dom.name });
  try {
    const spec = await specFromDomain(dom.name, xml, meta);
    const s = newSidecar(spec, { vm_id: meta.id, phase: 'done', now: Date.now() });
    const saved = await m.save({ ...s, observed_state: observedOf(dom.state), domain_uuid: dom.uuid });
    log.warn('sidecar rebuilt from domain metadata', { disk: spec.disk_path });
    return saved;
  } catch (err) {
    log.error('cannot rebuild sidecar; domain left as it is', { err });
    return null;
  }
}

async function specFromDomain(name: string, xml: string, meta: VmpoolMetadata): Promise<SpawnSpec> {
  const t = parseDomainTuning(xml);
  const iso = t.cdromPaths[0];
  const disks = t.diskPaths.filter((p) => !t.cdromPaths.includes(p));
  const root = disks[0];
  if (!root || !iso) throw new Error('domain has no root disk or seed ISO');
  const info = await diskInfo(root);
  const memMib = Number(/<memory unit='KiB'>(\d+)<\/memory>/.exec(xml)?.[1] ?? 0) / 1024;
  const extra = await Promise.all(
    disks
      .slice(1)
      .map(async (p) => ({ path: p, size_gb: Math.max(1, Math.ceil((await diskInfo(p)).size / 2 ** 30)) })),
  );
  return SpawnSpecSchema.parse({
    name,
    vcpu_count: t.vcpuPins.length,
    memory_mb: Math.round(memMib),
    disk_path: root,
    disk_size_gb: Math.max(1, Math.ceil(info.size / 2 ** 30)),
    base_image_path: info.backing ?? root,
    bridge_network_interface: meta.bridge ?? null,
    cloud_init_iso_path: iso,
    tuning: {
      vcpu_pins: t.vcpuPins.map((p) => formatCpuList(p)),
      emulator_cpuset: formatCpuList(t.emulatorCpus),
      numa_memory: { nodeset: t.numa?.nodeset ?? '0', mode: t.numa?.mode ?? 'strict' },
    },
    user_configs: [],
    vm_id: meta.id,
    ...(meta.vmid !== undefined ? { vmid: meta.vmid } : {}),
    ...(meta.tenant !== undefined ? { tenant: meta.tenant } : {}),
    ...(extra.length ? { extra_disks: extra } : {}),
    ...(meta.cpuPolicy ? { cpu_policy: meta.cpuPolicy } : {}),
    ...(meta.cpuMode ? { cpu_mode: meta.cpuMode } : {}),
  });
}

async function diskInfo(path: string): Promise<{ size: number; backing: string | undefined }> {
  const { stdout } = await run('qemu-img', ['info', '--output=json', '-U', path]);
  const j = JSON.parse(stdout) as {
    'virtual-size': number;
    'full-backing-filename'?: string;
    'backing-filename'?: string;
  };
  return { size: j['virtual-size'], backing: j['full-backing-filename'] ?? j['backing-filename'] };
}
