import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { formatCpuList } from '../../../shared/cpulist.js';
import { SpawnSpecSchema, type SpawnSpec } from '../../../shared/spec.js';
import type { VmpoolMetadata } from './domain/metadata.js';
import { parseDomainTuning } from './domain/parse.js';
import { readDomainXml } from './domain/read.js';

const run = promisify(execFile);

/**
 * specFromDomain recreates a lost sidecar's spec from a domain that carries vmpool metadata.
 * Guest users cannot be read back from libvirt, so user_configs comes back empty; everything
 * placement and recovery need (pins, NUMA, disks, identity) is in the domain XML.
 */
export async function specFromDomain(name: string, xml: string, meta: VmpoolMetadata): Promise<SpawnSpec> {
  const t = parseDomainTuning(xml);
  const iso = t.cdromPaths[0];
  const disks = t.diskPaths.filter((p) => !t.cdromPaths.includes(p));
  const root = disks[0];
  if (!root || !iso) throw new Error('domain has no root disk or seed ISO');
  const info = await diskInfo(root);
  const memMib = readDomainXml(xml).memoryKib / 1024;
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
