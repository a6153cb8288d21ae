import { VmpoolError } from '../../../../shared/errors.js';
import { VIR_ERR } from './constants.js';

export { VIR_ERR };

// Stable vmpool codes for the libvirt errors callers act on; everything else is 'libvirt_error'.
const CODE_BY_LIBVIRT_NUMBER: ReadonlyMap<number, string> = new Map([
  [VIR_ERR.NO_DOMAIN, 'domain_not_found'],
  [VIR_ERR.NO_DOMAIN_METADATA, 'metadata_not_found'],
  [VIR_ERR.DOM_EXIST, 'domain_exists'],
  [VIR_ERR.OPERATION_INVALID, 'operation_invalid'],
  [VIR_ERR.NO_SUPPORT, 'not_supported'],
  [VIR_ERR.OPERATION_UNSUPPORTED, 'not_supported'],
  [VIR_ERR.ARGUMENT_UNSUPPORTED, 'argument_unsupported'],
  [VIR_ERR.CONFIG_UNSUPPORTED, 'config_unsupported'],
  [VIR_ERR.INVALID_ARG, 'invalid_argument'],
  [VIR_ERR.XML_ERROR, 'invalid_xml'],
  [VIR_ERR.XML_DETAIL, 'invalid_xml'],
  [VIR_ERR.XML_INVALID_SCHEMA, 'invalid_xml'],
  [VIR_ERR.NO_CONNECT, 'connect_failed'],
  [VIR_ERR.OPEN_FAILED, 'connect_failed'],
  [VIR_ERR.AUTH_FAILED, 'access_denied'],
  [VIR_ERR.ACCESS_DENIED, 'access_denied'],
  [VIR_ERR.OPERATION_DENIED, 'access_denied'],
  [VIR_ERR.OPERATION_TIMEOUT, 'libvirt_timeout'],
]);

// Conditions that may clear on their own, so a caller may retry.
const RETRYABLE_LIBVIRT_NUMBERS: ReadonlySet<number> = new Set([
  VIR_ERR.RPC,
  VIR_ERR.OPERATION_TIMEOUT,
  VIR_ERR.AGENT_UNRESPONSIVE,
  VIR_ERR.RESOURCE_BUSY,
]);

/** libvirtErrorCode maps libvirt's virErrorNumber to vmpool's stable error code. */
export function libvirtErrorCode(libvirtCode: number): string {
  return CODE_BY_LIBVIRT_NUMBER.get(libvirtCode) ?? 'libvirt_error';
}

/** RawLibvirtError is a failed call's libvirt error as plain data, with the operation that made it. */
export interface RawLibvirtError {
  readonly op: string;
  readonly symbol: string;
  readonly libvirtCode: number;
  readonly domain: number;
  readonly message: string;
}

/** LibvirtError is a failed libvirt call (or binding failure) with libvirt's own code, domain and message. */
export class LibvirtError extends VmpoolError {
  /** libvirtCode is libvirt's virErrorNumber; 0 when the failure did not come from libvirt. */
  readonly libvirtCode: number;
  /** domain is libvirt's virErrorDomain (which subsystem failed), not a VM. */
  readonly domain: number;
  /** libvirtMessage is libvirt's message verbatim. */
  readonly libvirtMessage: string;
  /** op is the binding operation that failed, e.g. 'lookupDomain'. */
  readonly op: string;

  constructor(raw: RawLibvirtError, opts: { action: string; code?: string; retryable?: boolean }) {
    const code = opts.code ?? libvirtErrorCode(raw.libvirtCode);
    super(code, `Cannot ${opts.action}: ${raw.message}`, {
      retryable: opts.retryable ?? RETRYABLE_LIBVIRT_NUMBERS.has(raw.libvirtCode),
      details: { libvirtCode: raw.libvirtCode, domain: raw.domain, op: raw.op, symbol: raw.symbol },
    });
    this.name = 'LibvirtError';
    this.libvirtCode = raw.libvirtCode;
    this.domain = raw.domain;
    this.libvirtMessage = raw.message;
    this.op = raw.op;
  }
}

/** isLibvirtError narrows unknown values, optionally to one libvirt error number. */
export function isLibvirtError(err: unknown, libvirtCode?: number): err is LibvirtError {
  return err instanceof LibvirtError && (libvirtCode === undefined || err.libvirtCode === libvirtCode);
}
