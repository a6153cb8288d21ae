import type { DomainInfo, DomainSummary, NodeInfo } from '../hypervisor.js';
import * as b from './binding.js';
import * as d from './domainBinding.js';
import { domainOpsHandlers } from './workerDomainOps.js';
import * as g from './guestBinding.js';

import { domainStateName, pausedReasonName } from './states.js';
import { connection, type OpHandlers, type Session, withDomain } from './session.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';

/** domainSummary reads the identity and state of a domain handle. */
export function domainSummary(sym: LibvirtSymbols, dom: Ptr): DomainSummary {
  const { state, reason } = b.domainGetState(sym, dom);
  const name = domainStateName(state);
  return {
    name: b.domainGetName(sym, dom),
    uuid: b.domainGetUUIDString(sym, dom),
    id: b.domainGetID(sym, dom),
    state: name,
    ...(name === 'paused' ? { paused_reason: pausedReasonName(reason) } : {}),
    persistent: b.domainIsPersistent(sym, dom),
  };
}

function nodeInfo(s: Session): NodeInfo {
  const raw = b.nodeGetInfo(s.sym, connection(s));
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

function listDomains(s: Session): DomainSummary[] {
  const handles = b.connectListAllDomains(s.sym, connection(s));
  try {
    return handles.map((dom) => domainSummary(s.sym, dom));
  } finally {
    for (const dom of handles) b.domainFree(s.sym, dom);
  }
}

function domainInfo(sym: LibvirtSymbols, dom: Ptr): DomainInfo {
  const raw = b.domainGetInfo(sym, dom);
  return {
    state: domainStateName(raw.state),
    max_memory_kib: Number(raw.maxMem),
    memory_kib: Number(raw.memory),
    vcpus: raw.nrVirtCpu,
    cpu_time_ns: Number(raw.cpuTime),
  };
}

function closeSession(s: Session): null {
  if (s.conn !== null) b.connectClose(s.sym, s.conn);
  s.conn = null;
  return null;
}

// Adapts a void binding call on a handle into a handler that looks the domain up by name.
function domainAction(action: (sym: LibvirtSymbols, dom: Ptr) => void) {
  return (s: Session, args: { name: string }): null =>
    withDomain(s, args.name, (dom) => {
      action(s.sym, dom);
      return null;
    });
}

/** opHandlers is the worker's dispatch table. */
export const opHandlers: OpHandlers = {
  open: (s, { uri }) => {
    closeSession(s); // a reopen must not leak the connection it replaces
    s.conn = b.connectOpen(s.sym, uri);
    return null;
  },
  close: (s) => closeSession(s),
  capabilities: (s) => b.connectGetCapabilities(s.sym, connection(s)),
  nodeInfo,
  hostCpuCount: (s) => b.nodeGetCPUMap(s.sym, connection(s)),
  listDomains,
  lookupDomain: (s, { name }) => withDomain(s, name, (dom) => domainSummary(s.sym, dom)),
  defineXml: (s, { xml }) => {
    const dom = b.domainDefineXML(s.sym, connection(s), xml);
    try {
      return domainSummary(s.sym, dom);
    } finally {
      b.domainFree(s.sym, dom);
    }
  },
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
