import type { NodeInfo } from '../hypervisor.js';
import { PROC, VIR_TYPED_PARAM_STRING_OKAY } from './programs.js';
import { rpc, type RpcSession } from './session.js';
import {
  DOMAIN_MIN_BYTES,
  readDomain,
  readTypedParam,
  type RemoteDomain,
  TYPED_PARAM_MIN_BYTES,
  type TypedParam,
  writeDomain,
} from './types.js';
import { type XdrReader, XdrWriter } from './xdr.js';

// One function per libvirtd procedure the agent uses, named like the koffi binding's (the C symbol
// without `vir`); each error names that C symbol, so errors read the same from either backend.
// List limits are libvirt's (REMOTE_*_MAX); the frame limit bounds everything else.

const LIST_MAX = 262_144;
const CPUMAPS_MAX = 16_777_216;
const none = (): null => null;
const int = (r: XdrReader): number => r.int();
const onDomain = (dom: RemoteDomain) => writeDomain(new XdrWriter(), dom);

/** domainLookupByName resolves a name; VIR_ERR_NO_DOMAIN (42) when there is none. */
export function domainLookupByName(s: RpcSession, name: string): Promise<RemoteDomain> {
  return rpc(s, PROC.DOMAIN_LOOKUP_BY_NAME, new XdrWriter().string(name), {
    symbol: 'virDomainLookupByName',
    decode: readDomain,
  });
}

/** domainDefineXML defines (or redefines) a persistent domain. */
export function domainDefineXML(s: RpcSession, xml: string): Promise<RemoteDomain> {
  return rpc(s, PROC.DOMAIN_DEFINE_XML, new XdrWriter().string(xml), {
    symbol: 'virDomainDefineXML',
    decode: readDomain,
  });
}

/** connectListAllDomains lists every domain (flags 0: active and inactive). */
export function connectListAllDomains(s: RpcSession): Promise<RemoteDomain[]> {
  return rpc(s, PROC.CONNECT_LIST_ALL_DOMAINS, new XdrWriter().int(1).uint(0), {
    symbol: 'virConnectListAllDomains',
    decode: (r) => {
      const doms = r.array(LIST_MAX, DOMAIN_MIN_BYTES, readDomain);
      r.uint(); // ret: the count again
      return doms;
    },
  });
}

/** connectGetCapabilities returns the capabilities XML. */
export function connectGetCapabilities(s: RpcSession): Promise<string> {
  return rpc(s, PROC.CONNECT_GET_CAPABILITIES, null, {
    symbol: 'virConnectGetCapabilities',
    decode: (r) => r.string(),
  });
}

const MODEL_CHARS = 32; // char model[32]: each char is an XDR int on the wire

/** nodeGetInfo reads virNodeInfo. */
export function nodeGetInfo(s: RpcSession): Promise<NodeInfo> {
  return rpc(s, PROC.NODE_GET_INFO, null, {
    symbol: 'virNodeGetInfo',
    decode: (r) => {
      const chars: number[] = [];
      for (let i = 0; i < MODEL_CHARS; i++) chars.push(r.int() & 0xff);
      const end = chars.indexOf(0);
      const model = Buffer.from(end < 0 ? chars : chars.slice(0, end)).toString('latin1');
      const memory_kib = r.uhyper();
      return {
        model,
        memory_kib,
        cpus: r.int(),
        mhz: r.int(),
        nodes: r.int(),
        sockets: r.int(),
        cores: r.int(),
        threads: r.int(),
      };
    },
  });
}

/** nodeGetCPUMap returns how many host cpu ids exist (need_map and need_online off, as the binding asks). */
export function nodeGetCPUMap(s: RpcSession): Promise<number> {
  return rpc(s, PROC.NODE_GET_CPU_MAP, new XdrWriter().int(0).int(0).uint(0), {
    symbol: 'virNodeGetCPUMap',
    decode: (r) => {
      r.opaque(CPUMAPS_MAX); // cpumap (not asked for)
      r.uint(); // online (not asked for)
      return r.int();
    },
  });
}

/** domainGetState returns the virDomainState number and its reason. */
export function domainGetState(s: RpcSession, dom: RemoteDomain): Promise<{ state: number; reason: number }> {
  return rpc(s, PROC.DOMAIN_GET_STATE, onDomain(dom).uint(0), {
    symbol: 'virDomainGetState',
    decode: (r) => ({ state: r.int(), reason: r.int() }),
  });
}

/** domainIsPersistent tells whether the domain has a persistent definition. */
export async function domainIsPersistent(s: RpcSession, dom: RemoteDomain): Promise<boolean> {
  return (
    (await rpc(s, PROC.DOMAIN_IS_PERSISTENT, onDomain(dom), {
      symbol: 'virDomainIsPersistent',
      decode: int,
    })) === 1
  );
}

/** domainIsActive tells whether the domain is running (or paused). */
export async function domainIsActive(s: RpcSession, dom: RemoteDomain): Promise<boolean> {
  return (
    (await rpc(s, PROC.DOMAIN_IS_ACTIVE, onDomain(dom), { symbol: 'virDomainIsActive', decode: int })) === 1
  );
}

/** DomainInfoWire is remote_domain_get_info_ret. */
export interface DomainInfoWire {
  readonly state: number;
  readonly maxMem: number;
  readonly memory: number;
  readonly nrVirtCpu: number;
  readonly cpuTime: number;
}

/** domainGetInfo reads virDomainInfo (unsigned char and short travel as XDR ints). */
export function domainGetInfo(s: RpcSession, dom: RemoteDomain): Promise<DomainInfoWire> {
  return rpc(s, PROC.DOMAIN_GET_INFO, onDomain(dom), {
    symbol: 'virDomainGetInfo',
    decode: (r) => ({
      state: r.uint(),
      maxMem: r.uhyper(),
      memory: r.uhyper(),
      nrVirtCpu: r.uint(),
      cpuTime: r.uhyper(),
    }),
  });
}

/** domainGetXMLDesc returns the domain XML. */
export function domainGetXMLDesc(s: RpcSession, dom: RemoteDomain, flags: number): Promise<string> {
  return rpc(s, PROC.DOMAIN_GET_XML_DESC, onDomain(dom).uint(flags), {
    symbol: 'virDomainGetXMLDesc',
    decode: (r) => r.string(),
  });
}

/** domainVoid runs a procedure whose arguments are just the domain and that returns nothing. */
export async function domainVoid(
  s: RpcSession,
  proc: number,
  symbol: string,
  dom: RemoteDomain,
): Promise<void> {
  await rpc(s, proc, onDomain(dom), { symbol, decode: none });
}

/** domainUndefineFlags removes the persistent definition with extra cleanup flags. */
export async function domainUndefineFlags(s: RpcSession, dom: RemoteDomain, flags: number): Promise<void> {
  await rpc(s, PROC.DOMAIN_UNDEFINE_FLAGS, onDomain(dom).uint(flags), {
    symbol: 'virDomainUndefineFlags',
    decode: none,
  });
}

/** domainGetVcpuPinInfo returns one cpumap of maplen bytes per vCPU, concatenated, and how many were filled. */
export function domainGetVcpuPinInfo(
  s: RpcSession,
  dom: RemoteDomain,
  o: { ncpumaps: number; maplen: number; flags: number },
) {
  return rpc(s, PROC.DOMAIN_GET_VCPU_PIN_INFO, onDomain(dom).int(o.ncpumaps).int(o.maplen).uint(o.flags), {
    symbol: 'virDomainGetVcpuPinInfo',
    decode: (r) => ({ cpumaps: Buffer.from(r.opaque(CPUMAPS_MAX)), filled: r.int() }),
  });
}

/** domainGetEmulatorPinInfo returns the emulator threads' cpumap. */
export function domainGetEmulatorPinInfo(
  s: RpcSession,
  dom: RemoteDomain,
  o: { maplen: number; flags: number },
) {
  return rpc(s, PROC.DOMAIN_GET_EMULATOR_PIN_INFO, onDomain(dom).int(o.maplen).uint(o.flags), {
    symbol: 'virDomainGetEmulatorPinInfo',
    decode: (r) => {
      const cpumap = Buffer.from(r.opaque(CPUMAPS_MAX));
      r.int(); // ret
      return cpumap;
    },
  });
}

/** domainGetNumaParameters returns every NUMA parameter: it asks how many first, as libvirt's client does. */
export async function domainGetNumaParameters(
  s: RpcSession,
  dom: RemoteDomain,
  flags: number,
): Promise<Map<string, TypedParam[1]>> {
  const ask = (nparams: number) =>
    rpc(
      s,
      PROC.DOMAIN_GET_NUMA_PARAMETERS,
      onDomain(dom)
        .int(nparams)
        .uint(flags | VIR_TYPED_PARAM_STRING_OKAY),
      {
        symbol: 'virDomainGetNumaParameters',
        decode: (r) => ({
          params: r.array(LIST_MAX, TYPED_PARAM_MIN_BYTES, readTypedParam),
          nparams: r.int(),
        }),
      },
    );
  const { nparams } = await ask(0);
  if (nparams === 0) return new Map();
  return new Map((await ask(nparams)).params);
}

/** connectGetAllDomainStats returns every domain's name and typed params (stats 0: all groups). */
export function connectGetAllDomainStats(s: RpcSession): Promise<{ name: string; params: TypedParam[] }[]> {
  return rpc(s, PROC.CONNECT_GET_ALL_DOMAIN_STATS, new XdrWriter().uint(0).uint(0).uint(0), {
    symbol: 'virConnectGetAllDomainStats',
    decode: (r) =>
      r.array(LIST_MAX, DOMAIN_MIN_BYTES + 4, (x) => ({
        name: readDomain(x).name,
        params: x.array(LIST_MAX, TYPED_PARAM_MIN_BYTES, readTypedParam),
      })),
  });
}
