import type { DomainStats, NumaTune } from '../hypervisor.js';
import * as b from './binding.js';
import { LibvirtCallFailure } from './callFailure.js';
import * as d from './domainBinding.js';
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_METADATA_ELEMENT,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_ERR,
} from './constants.js';
import { connection, type OpHandlers, type Session, withDomain } from './session.js';
import { cpumapLength, cpumapToCpus, numaModeName } from './states.js';
import { FLAG_REJECTED, UNDEFINE_FLAG_LADDER } from './undefineFlags.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';

async function undefineDomain(sym: LibvirtSymbols, dom: Ptr): Promise<null> {
  for (const flags of UNDEFINE_FLAG_LADDER) {
    try {
      await d.domainUndefineFlags(sym, dom, flags);
      return null;
    } catch (err) {
      if (!(err instanceof LibvirtCallFailure && FLAG_REJECTED.has(err.libvirtCode))) throw err;
    }
  }
  await d.domainUndefine(sym, dom);
  return null;
}

// Pin and NUMA queries read the running state when there is one, else the persistent config.
async function liveOrConfig(sym: LibvirtSymbols, dom: Ptr): Promise<number> {
  return (await b.domainIsActive(sym, dom)) ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG;
}

async function vcpuPins(s: Session, dom: Ptr): Promise<number[][]> {
  const hostCpus = await b.nodeGetCPUMap(s.sym, connection(s));
  const maplen = cpumapLength(hostCpus);
  const ncpumaps = (await b.domainGetInfo(s.sym, dom)).nrVirtCpu;
  const flags = await liveOrConfig(s.sym, dom);
  const { filled, cpumaps } = await d.domainGetVcpuPinInfo(s.sym, dom, { ncpumaps, maplen, flags });
  const pins: number[][] = [];
  for (let vcpu = 0; vcpu < filled; vcpu++) {
    pins.push(cpumapToCpus(cpumaps.subarray(vcpu * maplen, (vcpu + 1) * maplen), hostCpus));
  }
  return pins;
}

async function emulatorPin(s: Session, dom: Ptr): Promise<number[]> {
  const hostCpus = await b.nodeGetCPUMap(s.sym, connection(s));
  const maplen = cpumapLength(hostCpus);
  const flags = await liveOrConfig(s.sym, dom);
  const cpumap = await d.domainGetEmulatorPinInfo(s.sym, dom, { maplen, flags });
  return cpumapToCpus(cpumap, hostCpus);
}

async function numaTune(sym: LibvirtSymbols, dom: Ptr): Promise<NumaTune> {
  const params = await d.domainGetNumaParameters(sym, dom, await liveOrConfig(sym, dom));
  const mode = params.get('numa_mode');
  const nodeset = params.get('numa_nodeset');
  return {
    mode: typeof mode === 'number' ? numaModeName(mode) : 'unknown',
    nodeset: typeof nodeset === 'string' ? nodeset : '',
  };
}

async function getMetadata(sym: LibvirtSymbols, dom: Ptr, nsUri: string): Promise<string | null> {
  const target = { type: VIR_DOMAIN_METADATA_ELEMENT, uri: nsUri, flags: await liveOrConfig(sym, dom) };
  try {
    return await d.domainGetMetadata(sym, dom, target);
  } catch (err) {
    if (err instanceof LibvirtCallFailure && err.libvirtCode === VIR_ERR.NO_DOMAIN_METADATA) return null;
    throw err;
  }
}

// Write through to both the running domain and its persistent definition, whichever exist.
async function metadataWriteFlags(sym: LibvirtSymbols, dom: Ptr): Promise<number> {
  const live = (await b.domainIsActive(sym, dom)) ? VIR_DOMAIN_AFFECT_LIVE : 0;
  const config = (await b.domainIsPersistent(sym, dom)) ? VIR_DOMAIN_AFFECT_CONFIG : 0;
  return live | config;
}

async function allDomainStats(s: Session): Promise<DomainStats[]> {
  return (await b.connectGetAllDomainStats(s.sym, connection(s))).map((record) => ({
    name: record.name,
    stats: Object.fromEntries(record.params),
  }));
}

/** domainOpsHandlers are the operations that inspect or reconfigure one domain. */
export const domainOpsHandlers: Pick<
  OpHandlers,
  | 'undefine'
  | 'xmlDesc'
  | 'vcpuPins'
  | 'emulatorPin'
  | 'numaTune'
  | 'allDomainStats'
  | 'getMetadata'
  | 'setMetadata'
> = {
  undefine: (s, { name }) => withDomain(s, name, (dom) => undefineDomain(s.sym, dom)),
  xmlDesc: (s, { name, inactive }) =>
    withDomain(s, name, (dom) => b.domainGetXMLDesc(s.sym, dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0)),
  vcpuPins: (s, { name }) => withDomain(s, name, (dom) => vcpuPins(s, dom)),
  emulatorPin: (s, { name }) => withDomain(s, name, (dom) => emulatorPin(s, dom)),
  numaTune: (s, { name }) => withDomain(s, name, (dom) => numaTune(s.sym, dom)),
  allDomainStats,
  getMetadata: (s, { name, nsUri }) => withDomain(s, name, (dom) => getMetadata(s.sym, dom, nsUri)),
  setMetadata: (s, { name, xml, key, nsUri }) =>
    withDomain(s, name, async (dom) => {
      const flags = await metadataWriteFlags(s.sym, dom);
      await d.domainSetMetadata(s.sym, dom, {
        type: VIR_DOMAIN_METADATA_ELEMENT,
        metadata: xml,
        key,
        uri: nsUri,
        flags,
      });
      return null;
    }),
};
