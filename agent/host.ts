import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { ConfigError } from '../shared/config.js';
import { parseCpuList } from '../shared/cpulist.js';
import type { Logger } from '../shared/log.js';
import type { HostTopology } from '../shared/topology.js';
import type { VmBackend } from './backends/backend.js';
import {
  type Hypervisor,
  LibvirtBackend,
  openLibvirtConnection,
  daemonTarget,
  type LibvirtBackendKind,
  type PinSource,
} from './backends/libvirt/index.js';
import { imageVirtualSize } from './disk/qemu-img.js';
import { checkKvm } from './kvm-check.js';
import { SidecarStore } from './sidecar/store.js';
import { readHostTopology } from './topology/index.js';
import { VmManager } from './vms/manager.js';

/** AgentHost is an opened host: VM backend, detected topology and the VM manager. */
export interface AgentHost {
  backend: VmBackend;
  topology: HostTopology;
  manager: VmManager;
  hostReservedCpus: number[];
  imagesDir: string;
}

/**
 * detectTopology reads sysfs under the root, asks libvirt whether KVM is offered, and then proves it
 * by running the probe guest under KVM (unless --no-kvm-probe): a node whose probe fails says
 * kvm: false with the reason and spawns type='qemu' (TCG).
 */
export async function detectTopology(
  hv: Hypervisor | null,
  o: Record<string, unknown>,
  opts: { fresh?: boolean; log?: Logger } = {},
): Promise<HostTopology> {
  const caps = hv ? await hv.capabilities().catch(() => null) : null;
  const topo = await readHostTopology({
    sysfsRoot: String(o['sysfs-root']),
    capabilitiesXml: caps,
    devKvmPath: String(o['dev-kvm']),
  });
  if (o['no-kvm'] === true) return { ...topo, kvm: false, kvm_reason: 'disabled by --no-kvm' };
  if (!topo.kvm || !hv || o['no-kvm-probe'] === true) return topo;
  const probe = await checkKvm(hv, {
    uri: String(o['libvirt-uri']),
    devKvm: String(o['dev-kvm']),
    timeoutMs: Number(o['kvm-probe-timeout-ms'] ?? 5000),
    fresh: opts.fresh ?? false,
  });
  opts.log?.info('kvm probe', { kvm: probe.kvm, probe_ms: probe.ms, reason: probe.reason });
  return probe.kvm ? topo : { ...topo, kvm: false, kvm_reason: probe.reason };
}

/** openHost connects to libvirt, reads the host and builds the VM manager (no recovery yet). */
export async function openHost(
  o: Record<string, unknown>,
  log: Logger,
  opts: { freshKvmProbe?: boolean } = {},
): Promise<AgentHost> {
  const hv = await openLibvirtConnection(String(o['libvirt-uri']), {
    pinSource: pinSourceOf(o),
    backend: backendOf(o),
  });
  const topology = await detectTopology(hv, o, { fresh: opts.freshKvmProbe ?? false, log });
  const backend = new LibvirtBackend({
    hv,
    topology,
    sysRoot: String(o['sysfs-root']),
    userNetwork: o['user-network'] === true,
  });
  const hostReservedCpus = parseCpuList(String(o['host-reserved-cpus'] ?? ''));
  const online = new Set(topology.numa_nodes.flatMap((n) => n.cpus.map((c) => c.id)));
  const bad = hostReservedCpus.filter((c) => !online.has(c));
  if (bad.length) throw new ConfigError(`Cannot reserve host cpus ${bad.join(',')}: not online on this host`);
  const imagesDir = String(o['images-dir']);
  const manager = new VmManager({
    backend,
    sidecars: new SidecarStore({ imagesDir }),
    topology,
    hostReservedCpus,
    imagesDir,
    sysRoot: String(o['sysfs-root']),
    shutdownTimeoutMs: Number(o['shutdown-timeout-ms'] ?? 10_000),
    log,
  });
  return { backend, topology, manager, hostReservedCpus, imagesDir };
}

/**
 * backendOf reads --libvirt-backend (the option's schema already limits it to these three) and
 * refuses rpc for a URI no local libvirtd socket serves, before anything is opened.
 */
export function backendOf(o: Record<string, unknown>): LibvirtBackendKind {
  const v = String(o['libvirt-backend'] ?? 'auto');
  if (v !== 'auto' && v !== 'rpc' && v !== 'koffi')
    throw new ConfigError(`Cannot use libvirt backend ${JSON.stringify(v)}: expected auto, rpc or koffi`);
  const uri = String(o['libvirt-uri']);
  if (v === 'rpc' && daemonTarget(uri) === null)
    throw new ConfigError(
      `Cannot use libvirt backend rpc with ${JSON.stringify(uri)}: rpc speaks to a local libvirtd socket (qemu:///system or <driver>+unix://…); use auto or koffi for this URI`,
    );
  return v;
}

function pinSourceOf(o: Record<string, unknown>): PinSource {
  const v = String(o['pin-source'] ?? 'api');
  if (v === 'api' || v === 'xml') return v;
  throw new ConfigError(`Cannot use pin source ${JSON.stringify(v)}: expected api or xml`);
}

/** baseImages lists the base image names (without .qcow2) under <images-dir>/base. */
export async function baseImages(imagesDir: string): Promise<string[]> {
  const names = await readdir(join(imagesDir, 'base')).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.qcow2'))
    .map((n) => n.slice(0, -'.qcow2'.length))
    .sort();
}

/** baseImageSizes reads each base image's virtual size (bytes); unreadable images are left out. */
export async function baseImageSizes(imagesDir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await baseImages(imagesDir)) {
    const size = await imageVirtualSize(join(imagesDir, 'base', `${name}.qcow2`)).catch(() => null);
    if (size !== null) out[name] = size;
  }
  return out;
}

/** nodeIdOf is the configured node id or the hostname. */
export function nodeIdOf(o: Record<string, unknown>): string {
  return String(o['node-id'] ?? hostname());
}
