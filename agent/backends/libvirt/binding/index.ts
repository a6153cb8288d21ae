// Public surface of the libvirt binding; the C-facing modules (symbols, binding, ops, queue) stay internal.
export { isLibvirtError, LibvirtError, libvirtErrorCode, VIR_ERR } from './errors.js';
export {
  LibvirtHypervisor,
  type LibvirtBackendKind,
  type OpenLibvirtOptions,
  openLibvirt,
  type PinSource,
} from './libvirtHypervisor.js';
