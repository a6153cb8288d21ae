import type { DomainInfo, DomainSummary, NodeInfo } from '../hypervisor.js';
import * as b from './binding.js';
import { domainOpsHandlers } from './domainOps.js';
import * as d from './domainBinding.js';
import * as g from './guestBinding.js';
import { connection, type OpHandlers, type Session, withDomain } from './session.js';
import { domainStateName, pausedReasonName } from './states.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';

/** domainSummary reads the identity and state of a domain handle. */
export async function domainSummary(sym: LibvirtSymbols, dom: Ptr): Promise<DomainSummary> {
  const { state, reason } = await b.domainGetState(sym, dom);
  const name = domainStateName(state);
  const persistent = await b.domainIsPersistent(sym, dom);
  return {
    name: b.domainGetName(sym, dom),
    uuid: b.domainGetUUIDString(sym, dom),
    id: b.domainGetID(sym, dom),
    state: name,
    ...(name === 'paused' ? { paused_reason: pausedReasonName(reason) } : {}),
    persistent,
  };
}

async function nodeInfo(s: Session): Promise<NodeInfo> {
  const raw = await b.nodeGetInfo(s.sym, connection(s));
  return {
    model: raw.model,
    memory_kib: Number(raw.memory),
    cpus: raw.cpus,
    mhz: raw.mhz,
    nodes: raw.nodes,
    sockets: raw.sockets,
    cores: raw.cores,
    threads: raw.threads,
  };
}

async function listDomains(s: Session): Promise<DomainSummary[]> {
  const handles = await b.connectListAllDomains(s.sym, connection(s));
  try {
    const out: DomainSummary[] = [];
    for (const dom of handles) out.push(await domainSummary(s.sym, dom));
    return out;
  } finally {
    for (const dom of handles) b.domainFree(s.sym, dom);
  }
}

async function domainInfo(sym: LibvirtSymbols, dom: Ptr): Promise<DomainInfo> {
  const raw = await b.domainGetInfo(sym, dom);
  return {
    state: domainStateName(raw.state),
    max_memory_kib: Number(raw.maxMem),
    memory_kib: Number(raw.memory),
    vcpus: raw.nrVirtCpu,
    cpu_time_ns: Number(raw.cpuTime),
  };
}

async function closeSession(s: Session): Promise<null> {
  const conn = s.conn;
  s.conn = null;
  if (conn !== null) await b.connectClose(s.sym, conn);
  return null;
}

// Adapts a void binding call on a handle into a handler that looks the domain up by name.
function domainAction(action: (sym: LibvirtSymbols, dom: Ptr) => Promise<void>) {
  return (s: Session, args: { name: string }): Promise<null> =>
    withDomain(s, args.name, async (dom) => {
      await action(s.sym, dom);
      return null;
    });
}

async function defineXml(s: Session, { xml }: { xml: string }): Promise<DomainSummary> {
  const dom = await b.domainDefineXML(s.sym, connection(s), xml);
  try {
    return await domainSummary(s.sym, dom);
  } finally {
    b.domainFree(s.sym, dom);
  }
}

/** opHandlers is the binding's dispatch table: one async function per operation. */
export const opHandlers: OpHandlers = {
  open: async (s, { uri }) => {
    await closeSession(s); // a reopen must not leak the connection it replaces
    s.conn = await b.connectOpen(s.sym, uri);
    return null;
  },
  close: (s) => closeSession(s),
  capabilities: (s) => b.connectGetCapabilities(s.sym, connection(s)),
  nodeInfo,
  hostCpuCount: (s) => b.nodeGetCPUMap(s.sym, connection(s)),
  listDomains,
  lookupDomain: (s, { name }) => withDomain(s, name, (dom) => domainSummary(s.sym, dom)),
  defineXml,
  start: domainAction(d.domainCreate),
  suspend: domainAction(d.domainSuspend),
  resume: domainAction(d.domainResume),
  shutdown: domainAction(d.domainShutdown),
  destroy: domainAction(d.domainDestroy),
  info: (s, { name }) => withDomain(s, name, (dom) => domainInfo(s.sym, dom)),
  agentCommand: (s, { name, cmd, timeoutS }) =>
    withDomain(s, name, (dom) => g.domainQemuAgentCommand(s.sym, dom, cmd, timeoutS)),
  interfaceAddresses: (s, { name, source }) =>
    withDomain(s, name, (dom) => g.domainInterfaceAddresses(s.sym, dom, ADDRESS_SOURCES[source])),
  ...domainOpsHandlers,
};

// virDomainInterfaceAddressesSource: LEASE 0, AGENT 1, ARP 2
const ADDRESS_SOURCES = { lease: 0, agent: 1, arp: 2 } as const;
