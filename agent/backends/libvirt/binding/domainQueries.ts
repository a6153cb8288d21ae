import type { NumaTune } from '../hypervisor.js';
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_METADATA_ELEMENT,
  VIR_ERR,
} from './constants.js';
import { LibvirtCallFailure } from './failure.js';
import { cpumapLength, cpumapToCpus, numaModeName } from './states.js';
import { FLAG_REJECTED, UNDEFINE_FLAG_LADDER } from './undefineFlags.js';

// The per-domain logic both backends share (koffi binding and RPC client): which libvirt calls an
// operation makes, in which order, and how their answers become the Hypervisor's values. Each
// backend supplies the calls on one domain handle; nothing here loads libvirt.so.

/** DomainCalls are the libvirt calls on one domain that the shared queries below use. */
export interface DomainCalls {
  isActive(): Promise<boolean>;
  isPersistent(): Promise<boolean>;
  /** hostCpuCount is virNodeGetCPUMap's CPU count */
  hostCpuCount(): Promise<number>;
  /** vcpuCount is virDomainGetInfo's nrVirtCpu */
  vcpuCount(): Promise<number>;
  vcpuPinInfo(a: {
    ncpumaps: number;
    maplen: number;
    flags: number;
  }): Promise<{ filled: number; cpumaps: Uint8Array }>;
  emulatorPinInfo(a: { maplen: number; flags: number }): Promise<Uint8Array>;
  numaParameters(flags: number): Promise<ReadonlyMap<string, unknown>>;
  getMetadata(t: { type: number; uri: string; flags: number }): Promise<string>;
  setMetadata(t: { type: number; uri: string; flags: number; metadata: string; key: string }): Promise<void>;
  undefineFlags(flags: number): Promise<void>;
  undefine(): Promise<void>;
}

/** undefineDomain tries UNDEFINE_FLAG_LADDER widest first, then plain virDomainUndefine. */
export async function undefineDomain(d: DomainCalls): Promise<null> {
  for (const flags of UNDEFINE_FLAG_LADDER) {
    try {
      await d.undefineFlags(flags);
      return null;
    } catch (err) {
      if (!(err instanceof LibvirtCallFailure && FLAG_REJECTED.has(err.libvirtCode))) throw err;
    }
  }
  await d.undefine();
  return null;
}

/** liveOrConfig: pin and NUMA queries read the running state when there is one, else the persistent config. */
export async function liveOrConfig(d: DomainCalls): Promise<number> {
  return (await d.isActive()) ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG;
}

/** vcpuPins returns each vCPU's allowed host CPUs. */
export async function vcpuPins(d: DomainCalls): Promise<number[][]> {
  const hostCpus = await d.hostCpuCount();
  const maplen = cpumapLength(hostCpus);
  const ncpumaps = await d.vcpuCount();
  const flags = await liveOrConfig(d);
  const { filled, cpumaps } = await d.vcpuPinInfo({ ncpumaps, maplen, flags });
  const pins: number[][] = [];
  for (let vcpu = 0; vcpu < filled; vcpu++)
    pins.push(cpumapToCpus(cpumaps.subarray(vcpu * maplen, (vcpu + 1) * maplen), hostCpus));
  return pins;
}

/** emulatorPin returns the host CPUs the emulator threads may run on. */
export async function emulatorPin(d: DomainCalls): Promise<number[]> {
  const hostCpus = await d.hostCpuCount();
  const maplen = cpumapLength(hostCpus);
  const cpumap = await d.emulatorPinInfo({ maplen, flags: await liveOrConfig(d) });
  return cpumapToCpus(cpumap, hostCpus);
}

/** numaTune reads the domain's NUMA mode and nodeset. */
export async function numaTune(d: DomainCalls): Promise<NumaTune> {
  const params = await d.numaParameters(await liveOrConfig(d));
  const mode = params.get('numa_mode');
  const nodeset = params.get('numa_nodeset');
  return {
    mode: typeof mode === 'number' ? numaModeName(mode) : 'unknown',
    nodeset: typeof nodeset === 'string' ? nodeset : '',
  };
}

/** getMetadata reads the element under nsUri; null when the domain has none. */
export async function getMetadata(d: DomainCalls, nsUri: string): Promise<string | null> {
  const target = { type: VIR_DOMAIN_METADATA_ELEMENT, uri: nsUri, flags: await liveOrConfig(d) };
  try {
    return await d.getMetadata(target);
  } catch (err) {
    if (err instanceof LibvirtCallFailure && err.libvirtCode === VIR_ERR.NO_DOMAIN_METADATA) return null;
    throw err;
  }
}

/** setMetadata writes the element under nsUri through to the running domain and its persistent definition, whichever exist. */
export async function setMetadata(
  d: DomainCalls,
  m: { xml: string; key: string; nsUri: string },
): Promise<null> {
  const live = (await d.isActive()) ? VIR_DOMAIN_AFFECT_LIVE : 0;
  const config = (await d.isPersistent()) ? VIR_DOMAIN_AFFECT_CONFIG : 0;
  const flags = live | config;
  await d.setMetadata({
    type: VIR_DOMAIN_METADATA_ELEMENT,
    metadata: m.xml,
    key: m.key,
    uri: m.nsUri,
    flags,
  });
  return null;
}
