// Public surface of the libvirt binding; the worker-side modules (symbols, binding, worker) stay internal.
export { isLibvirtError, LibvirtError, libvirtErrorCode, VIR_ERR } from './errors.js';
export {
  LibvirtHypervisor,
  type OpenLibvirtOptions,
  openLibvirt,
  type PinSource,
} from './libvirtHypervisor.js';
