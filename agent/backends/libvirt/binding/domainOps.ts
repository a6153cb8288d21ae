import type { DomainStats } from '../hypervisor.js';
import * as b from './binding.js';
import * as d from './domainBinding.js';
import { VIR_DOMAIN_XML_INACTIVE } from './constants.js';
import * as q from './domainQueries.js';
import { connection, type OpHandlers, type Session, withDomain } from './session.js';
import type { Ptr } from './symbols.js';

/** koffiDomain is the shared queries' view of one domain handle through libvirt.so. */
function koffiDomain(s: Session, dom: Ptr): q.DomainCalls {
  const sym = s.sym;
  return {
    isActive: () => b.domainIsActive(sym, dom),
    isPersistent: () => b.domainIsPersistent(sym, dom),
    hostCpuCount: () => b.nodeGetCPUMap(sym, connection(s)),
    vcpuCount: async () => (await b.domainGetInfo(sym, dom)).nrVirtCpu,
    vcpuPinInfo: (a) => d.domainGetVcpuPinInfo(sym, dom, a),
    emulatorPinInfo: (a) => d.domainGetEmulatorPinInfo(sym, dom, a),
    numaParameters: (flags) => d.domainGetNumaParameters(sym, dom, flags),
    setMetadata: (t) => d.domainSetMetadata(sym, dom, t),
    getMetadata: (t) => d.domainGetMetadata(sym, dom, t),
    undefineFlags: (flags) => d.domainUndefineFlags(sym, dom, flags),
    undefine: () => d.domainUndefine(sym, dom),
  };
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
  undefine: (s, { name }) => withDomain(s, name, (dom) => q.undefineDomain(koffiDomain(s, dom))),
  xmlDesc: (s, { name, inactive }) =>
    withDomain(s, name, (dom) => b.domainGetXMLDesc(s.sym, dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0)),
  vcpuPins: (s, { name }) => withDomain(s, name, (dom) => q.vcpuPins(koffiDomain(s, dom))),
  emulatorPin: (s, { name }) => withDomain(s, name, (dom) => q.emulatorPin(koffiDomain(s, dom))),
  numaTune: (s, { name }) => withDomain(s, name, (dom) => q.numaTune(koffiDomain(s, dom))),
  allDomainStats,
  getMetadata: (s, { name, nsUri }) =>
    withDomain(s, name, (dom) => q.getMetadata(koffiDomain(s, dom), nsUri)),
  setMetadata: (s, { name, xml, key, nsUri }) =>
    withDomain(s, name, (dom) => q.setMetadata(koffiDomain(s, dom), { xml, key, nsUri })),
};
