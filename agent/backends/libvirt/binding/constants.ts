import type { DomainState, NumaTune, PausedReason } from '../hypervisor.js';

// Every libvirt number the agent uses, in one place: error numbers, error domains, enum orders and
// flags, each named as in libvirt's headers. Nothing outside agent/backends/libvirt/ sees these.

/** VIR_ERR holds the virErrorNumber values vmpool branches on (libvirt's virerror.h). */
export const VIR_ERR = {
  OK: 0,
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  OPERATION_DENIED: 29,
  OPEN_FAILED: 30,
  XML_DETAIL: 35,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  AUTH_FAILED: 45,
  OPERATION_INVALID: 55,
  CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68,
  ARGUMENT_UNSUPPORTED: 74,
  NO_DOMAIN_METADATA: 80,
  OPERATION_UNSUPPORTED: 84,
  AGENT_UNRESPONSIVE: 86,
  RESOURCE_BUSY: 87,
  ACCESS_DENIED: 88,
  XML_INVALID_SCHEMA: 92,
} as const;

/** VIR_FROM_RPC is the virErrorDomain of the remote driver: it lost its socket (libvirtd restarted or died). */
export const VIR_FROM_RPC = 7;

/** DOMAIN_STATES is virDomainState in enum order (VIR_DOMAIN_NOSTATE = 0 … VIR_DOMAIN_PMSUSPENDED = 7). */
export const DOMAIN_STATES: readonly DomainState[] = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
];

/**
 * PAUSED_REASONS is virDomainPausedReason in enum order (VIR_DOMAIN_PAUSED_UNKNOWN = 0 …
 * VIR_DOMAIN_PAUSED_API_ERROR = 14) as the stable lowercase words the agent reports.
 */
export const PAUSED_REASONS: readonly PausedReason[] = [
  'unknown',
  'user',
  'migration',
  'save',
  'dump',
  'ioerror',
  'watchdog',
  'from_snapshot',
  'shutting_down',
  'snapshot',
  'crashed',
  'starting_up',
  'postcopy',
  'postcopy_failed',
  'api_error',
];

/** NUMA_MODES is virDomainNumatuneMemMode in enum order (STRICT = 0 … RESTRICTIVE = 3). */
export const NUMA_MODES: readonly NumaTune['mode'][] = ['strict', 'preferred', 'interleave', 'restrictive'];

/** VIR_TYPED_PARAM is virTypedParameterType (libvirt-common.h). */
export const VIR_TYPED_PARAM = {
  INT: 1,
  UINT: 2,
  LLONG: 3,
  ULLONG: 4,
  DOUBLE: 5,
  BOOLEAN: 6,
  STRING: 7,
} as const;

/** VIR_UUID_STRING_BUFLEN is the buffer virDomainGetUUIDString fills (36 characters and a NUL). */
export const VIR_UUID_STRING_BUFLEN = 37;

/** VIR_DOMAIN_XML_INACTIVE asks virDomainGetXMLDesc for the persistent config. */
export const VIR_DOMAIN_XML_INACTIVE = 2;
/** VIR_DOMAIN_AFFECT_LIVE is virDomainModificationImpact's live flag. */
export const VIR_DOMAIN_AFFECT_LIVE = 1;
/** VIR_DOMAIN_AFFECT_CONFIG is virDomainModificationImpact's config flag. */
export const VIR_DOMAIN_AFFECT_CONFIG = 2;
/** VIR_DOMAIN_METADATA_ELEMENT is virDomainMetadataType's custom element. */
export const VIR_DOMAIN_METADATA_ELEMENT = 2;
/** UNDEFINE is virDomainUndefineFlagsValues. */
export const UNDEFINE = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  CHECKPOINTS_METADATA: 16,
} as const;
