/** DomainState mirrors libvirt's virDomainState as names. */
export type DomainState =
  | 'nostate'
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutdown'
  | 'shutoff'
  | 'crashed'
  | 'pmsuspended';

/** PausedReason is libvirt's virDomainPausedReason as a stable lowercase word (binding/constants.ts). */
export type PausedReason =
  | 'unknown'
  | 'user'
  | 'migration'
  | 'save'
  | 'dump'
  | 'ioerror'
  | 'watchdog'
  | 'from_snapshot'
  | 'shutting_down'
  | 'snapshot'
  | 'crashed'
  | 'starting_up'
  | 'postcopy'
  | 'postcopy_failed'
  | 'api_error';

/** DomainSummary is one libvirt domain as listed: identity and state, no XML. */
export interface DomainSummary {
  readonly name: string;
  readonly uuid: string;
  readonly id: number; // -1 when not running
  readonly state: DomainState;
  /** paused_reason says why a `paused` domain is paused (absent in every other state) */
  readonly paused_reason?: PausedReason;
  readonly persistent: boolean;
}

/** DomainInfo is virDomainGetInfo normalised to plain numbers. */
export interface DomainInfo {
  readonly state: DomainState;
  readonly max_memory_kib: number;
  readonly memory_kib: number;
  readonly vcpus: number;
  readonly cpu_time_ns: number;
}

/** NodeInfo is virNodeGetInfo normalised to plain numbers. */
export interface NodeInfo {
  readonly model: string;
  readonly memory_kib: number;
  readonly cpus: number;
  readonly mhz: number;
  readonly nodes: number;
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

/** NumaTune is the domain's memory binding as libvirt reports it. */
export interface NumaTune {
  readonly mode: 'strict' | 'preferred' | 'interleave' | 'restrictive' | 'unknown';
  readonly nodeset: string;
}

/** DomainStats is one domain's record from virConnectGetAllDomainStats, flattened to key → value. */
export interface DomainStats {
  readonly name: string;
  readonly stats: Readonly<Record<string, number | string | boolean>>;
}

/** AddressSource is where libvirt reads a guest's addresses: DHCP leases, the guest agent or the host ARP table. */
export type AddressSource = 'lease' | 'agent' | 'arp';

/** GuestInterface is one guest NIC as virDomainInterfaceAddresses reports it. */
export interface GuestInterface {
  readonly name: string;
  /** hwaddr is the MAC in lower case, or null when the source does not know it */
  readonly hwaddr: string | null;
  readonly addresses: readonly { family: 'ipv4' | 'ipv6'; address: string; prefix: number }[];
}

/** Hypervisor is everything the agent needs from a VM host; LibvirtHypervisor is the real one. */
export interface Hypervisor {
  readonly uri: string;
  close(): Promise<void>;
  capabilities(): Promise<string>;
  nodeInfo(): Promise<NodeInfo>;
  listDomains(): Promise<DomainSummary[]>;
  /** lookupDomain resolves a domain by name; null when it does not exist (libvirt code 42). */
  lookupDomain(name: string): Promise<DomainSummary | null>;
  defineXml(xml: string): Promise<DomainSummary>;
  start(name: string): Promise<void>;
  /** suspend pauses a running domain's vCPUs; resume lets them run again. */
  suspend(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  shutdown(name: string): Promise<void>;
  destroy(name: string): Promise<void>;
  /** undefine removes the persistent definition (and managed save / nvram where present). */
  undefine(name: string): Promise<void>;
  xmlDesc(name: string, opts?: { inactive?: boolean }): Promise<string>;
  info(name: string): Promise<DomainInfo>;
  /** vcpuPins gives the host cpus each vCPU may run on, indexed by vCPU number (live or config). */
  vcpuPins(name: string): Promise<number[][]>;
  emulatorPin(name: string): Promise<number[]>;
  numaTune(name: string): Promise<NumaTune>;
  allDomainStats(): Promise<DomainStats[]>;
  /** getMetadata returns the element stored under namespace uri, or null when absent. */
  getMetadata(name: string, nsUri: string): Promise<string | null>;
  setMetadata(name: string, opts: { xml: string; key: string; nsUri: string }): Promise<void>;
  /** agentCommand sends one QEMU guest agent command (JSON text) and returns the answer (JSON text) */
  agentCommand?(name: string, cmd: string, timeoutS: number): Promise<string>;
  /** interfaceAddresses lists the guest's NICs and addresses as `source` knows them */
  interfaceAddresses?(name: string, source: AddressSource): Promise<GuestInterface[]>;
}
