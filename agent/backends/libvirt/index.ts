// Public surface of the libvirt backend: the only module outside agent/backends/libvirt/ may import.
// The binding, the domain XML builder and the reader stay behind it (test/source-layout.test.ts).
export type { LibvirtBackendKind, PinSource } from './binding/index.js';
export { parseDomainTuning, parseVmpoolMetadata } from './domain/parse.js';
export type { Hypervisor } from './hypervisor.js';
export { daemonTarget } from './rpc/target.js';
export { type KvmProbeResult, probeKvm } from './kvm-probe.js';
export {
  instanceStateOf,
  LibvirtBackend,
  type LibvirtBackendOptions,
  openLibvirtConnection,
} from './backend.js';
