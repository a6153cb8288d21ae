import { VIR_DOMAIN_XML_INACTIVE } from '../binding/constants.js';
import type { OpHandlers } from '../binding/session.js';
import { domainStateName, pausedReasonName } from '../binding/states.js';
import type { DomainSummary } from '../hypervisor.js';
import * as q from '../binding/domainQueries.js';
import * as c from './calls.js';
import * as g from './guestCalls.js';
import { PROC } from './programs.js';
import { closeSession, openSession, type RpcSession } from './session.js';
import { type RemoteDomain, uuidString } from './types.js';

// The same operations as binding/ops.ts, with the same calls in the same order, over libvirtd's RPC
// protocol: results and errors are what the koffi binding gives for the same daemon.

async function summary(s: RpcSession, dom: RemoteDomain): Promise<DomainSummary> {
  const { state, reason } = await c.domainGetState(s, dom);
  const name = domainStateName(state);
  const persistent = await c.domainIsPersistent(s, dom);
  return {
    name: dom.name,
    uuid: uuidString(dom.uuid),
    id: dom.id,
    state: name,
    ...(name === 'paused' ? { paused_reason: pausedReasonName(reason) } : {}),
    persistent,
  };
}

function withDomain<T>(s: RpcSession, name: string, fn: (dom: RemoteDomain) => Promise<T>): Promise<T> {
  return c.domainLookupByName(s, name).then(fn);
}

function domainAction(proc: number, symbol: string) {
  return (s: RpcSession, { name }: { name: string }): Promise<null> =>
    withDomain(s, name, async (dom) => {
      await c.domainVoid(s, proc, symbol, dom);
      return null;
    });
}

/** rpcDomain is the shared queries' view of one domain through libvirtd's RPC protocol. */
function rpcDomain(s: RpcSession, dom: RemoteDomain): q.DomainCalls {
  return {
    isActive: () => c.domainIsActive(s, dom),
    isPersistent: () => c.domainIsPersistent(s, dom),
    hostCpuCount: () => c.nodeGetCPUMap(s),
    vcpuCount: async () => (await c.domainGetInfo(s, dom)).nrVirtCpu,
    vcpuPinInfo: (a) => c.domainGetVcpuPinInfo(s, dom, a),
    emulatorPinInfo: (a) => c.domainGetEmulatorPinInfo(s, dom, a),
    numaParameters: (flags) => c.domainGetNumaParameters(s, dom, flags),
    setMetadata: (t) => g.domainSetMetadata(s, dom, t),
    getMetadata: (t) => g.domainGetMetadata(s, dom, t),
    undefineFlags: (flags) => c.domainUndefineFlags(s, dom, flags),
    undefine: () => c.domainVoid(s, PROC.DOMAIN_UNDEFINE, 'virDomainUndefine', dom),
  };
}

// virDomainInterfaceAddressesSource: LEASE 0, AGENT 1, ARP 2
const ADDRESS_SOURCES = { lease: 0, agent: 1, arp: 2 } as const;

/** rpcOpHandlers is the RPC client's dispatch table: one async function per operation. */
export const rpcOpHandlers: OpHandlers<RpcSession> = {
  open: async (s) => {
    await openSession(s);
    return null;
  },
  close: async (s) => {
    await closeSession(s);
    return null;
  },
  capabilities: (s) => c.connectGetCapabilities(s),
  nodeInfo: (s) => c.nodeGetInfo(s),
  hostCpuCount: (s) => c.nodeGetCPUMap(s),
  listDomains: async (s) => {
    const out: DomainSummary[] = [];
    for (const dom of await c.connectListAllDomains(s)) out.push(await summary(s, dom));
    return out;
  },
  lookupDomain: (s, { name }) => withDomain(s, name, (dom) => summary(s, dom)),
  defineXml: async (s, { xml }) => summary(s, await c.domainDefineXML(s, xml)),
  start: domainAction(PROC.DOMAIN_CREATE, 'virDomainCreate'),
  suspend: domainAction(PROC.DOMAIN_SUSPEND, 'virDomainSuspend'),
  resume: domainAction(PROC.DOMAIN_RESUME, 'virDomainResume'),
  shutdown: domainAction(PROC.DOMAIN_SHUTDOWN, 'virDomainShutdown'),
  destroy: domainAction(PROC.DOMAIN_DESTROY, 'virDomainDestroy'),
  undefine: (s, { name }) => withDomain(s, name, (dom) => q.undefineDomain(rpcDomain(s, dom))),
  xmlDesc: (s, { name, inactive }) =>
    withDomain(s, name, (dom) => c.domainGetXMLDesc(s, dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0)),
  info: (s, { name }) =>
    withDomain(s, name, async (dom) => {
      const raw = await c.domainGetInfo(s, dom);
      const state = domainStateName(raw.state);
      return {
        state,
        max_memory_kib: raw.maxMem,
        memory_kib: raw.memory,
        vcpus: raw.nrVirtCpu,
        cpu_time_ns: raw.cpuTime,
      };
    }),
  vcpuPins: (s, { name }) => withDomain(s, name, (dom) => q.vcpuPins(rpcDomain(s, dom))),
  emulatorPin: (s, { name }) => withDomain(s, name, (dom) => q.emulatorPin(rpcDomain(s, dom))),
  numaTune: (s, { name }) => withDomain(s, name, (dom) => q.numaTune(rpcDomain(s, dom))),
  allDomainStats: async (s) =>
    (await c.connectGetAllDomainStats(s)).map((rec) => ({
      name: rec.name,
      stats: Object.fromEntries(rec.params),
    })),
  getMetadata: (s, { name, nsUri }) => withDomain(s, name, (dom) => q.getMetadata(rpcDomain(s, dom), nsUri)),
  setMetadata: (s, { name, xml, key, nsUri }) =>
    withDomain(s, name, (dom) => q.setMetadata(rpcDomain(s, dom), { xml, key, nsUri })),
  agentCommand: (s, { name, cmd, timeoutS }) =>
    withDomain(s, name, (dom) => g.domainQemuAgentCommand(s, dom, cmd, timeoutS)),
  interfaceAddresses: (s, { name, source }) =>
    withDomain(s, name, (dom) => g.domainInterfaceAddresses(s, dom, ADDRESS_SOURCES[source])),
};
