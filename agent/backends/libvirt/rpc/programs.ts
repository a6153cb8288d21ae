// Program numbers and versions of libvirtd's RPC services (remote_protocol.x, qemu_protocol.x,
// virkeepaliveprotocol.x).

/** Program names one RPC program: its number and version. */
export interface Program {
  readonly id: number;
  readonly version: number;
}

/** REMOTE is the main libvirt API program. */
export const REMOTE: Program = { id: 0x20008086, version: 1 };
/** QEMU is the QEMU-specific program (guest agent commands). */
export const QEMU: Program = { id: 0x20008087, version: 1 };
/** KEEPALIVE is the keepalive program (PING 1 / PONG 2, as MESSAGE frames). */
export const KEEPALIVE: Program = { id: 0x6b656570, version: 1 };

/** PROC holds the REMOTE_PROC_* numbers the agent calls (remote_protocol.x). */
export const PROC = {
  CONNECT_OPEN: 1,
  CONNECT_CLOSE: 2,
  NODE_GET_INFO: 6,
  CONNECT_GET_CAPABILITIES: 7,
  DOMAIN_CREATE: 9,
  DOMAIN_DEFINE_XML: 11,
  DOMAIN_DESTROY: 12,
  DOMAIN_GET_XML_DESC: 14,
  DOMAIN_GET_INFO: 16,
  DOMAIN_LOOKUP_BY_NAME: 23,
  DOMAIN_RESUME: 28,
  DOMAIN_SHUTDOWN: 33,
  DOMAIN_SUSPEND: 34,
  DOMAIN_UNDEFINE: 35,
  CONNECT_SUPPORTS_FEATURE: 60,
  AUTH_LIST: 66,
  AUTH_POLKIT: 70,
  DOMAIN_IS_ACTIVE: 150,
  DOMAIN_IS_PERSISTENT: 151,
  DOMAIN_GET_STATE: 212,
  DOMAIN_GET_VCPU_PIN_INFO: 230,
  DOMAIN_UNDEFINE_FLAGS: 231,
  DOMAIN_GET_NUMA_PARAMETERS: 255,
  DOMAIN_SET_METADATA: 264,
  DOMAIN_GET_METADATA: 265,
  CONNECT_LIST_ALL_DOMAINS: 273,
  DOMAIN_GET_EMULATOR_PIN_INFO: 280,
  NODE_GET_CPU_MAP: 293,
  CONNECT_GET_ALL_DOMAIN_STATS: 344,
  DOMAIN_INTERFACE_ADDRESSES: 353,
} as const;

/** QEMU_PROC_DOMAIN_AGENT_COMMAND is qemu_protocol.x's guest agent call. */
export const QEMU_PROC_DOMAIN_AGENT_COMMAND = 3;

/** AUTH is remote_auth_type. */
export const AUTH = { NONE: 0, SASL: 1, POLKIT: 2 } as const;

/** VIR_DRV_FEATURE_PROGRAM_KEEPALIVE asks libvirtd to send keepalive PINGs to this client. */
export const VIR_DRV_FEATURE_PROGRAM_KEEPALIVE = 10;
/** VIR_TYPED_PARAM_STRING_OKAY lets libvirtd return string typed parameters (libvirt's client always sets it). */
export const VIR_TYPED_PARAM_STRING_OKAY = 4;
