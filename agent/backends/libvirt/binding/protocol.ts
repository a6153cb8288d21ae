import type {
  AddressSource,
  DomainInfo,
  DomainStats,
  DomainSummary,
  GuestInterface,
  NodeInfo,
  NumaTune,
} from '../hypervisor.js';
import type { RawLibvirtError } from './errors.js';

/** OpTable lists every request the worker answers: its arguments and its result, all plain data. */
export interface OpTable {
  open: { args: { uri: string }; result: null };
  close: { args: Record<string, never>; result: null };
  capabilities: { args: Record<string, never>; result: string };
  nodeInfo: { args: Record<string, never>; result: NodeInfo };
  hostCpuCount: { args: Record<string, never>; result: number };
  listDomains: { args: Record<string, never>; result: DomainSummary[] };
  lookupDomain: { args: { name: string }; result: DomainSummary };
  defineXml: { args: { xml: string }; result: DomainSummary };
  start: { args: { name: string }; result: null };
  suspend: { args: { name: string }; result: null };
  resume: { args: { name: string }; result: null };
  shutdown: { args: { name: string }; result: null };
  destroy: { args: { name: string }; result: null };
  undefine: { args: { name: string }; result: null };
  xmlDesc: { args: { name: string; inactive: boolean }; result: string };
  info: { args: { name: string }; result: DomainInfo };
  vcpuPins: { args: { name: string }; result: number[][] };
  emulatorPin: { args: { name: string }; result: number[] };
  numaTune: { args: { name: string }; result: NumaTune };
  allDomainStats: { args: Record<string, never>; result: DomainStats[] };
  getMetadata: { args: { name: string; nsUri: string }; result: string | null };
  setMetadata: { args: { name: string; xml: string; key: string; nsUri: string }; result: null };
  agentCommand: { args: { name: string; cmd: string; timeoutS: number }; result: string };
  interfaceAddresses: { args: { name: string; source: AddressSource }; result: GuestInterface[] };
}

/** OpName is one worker operation. */
export type OpName = keyof OpTable;

/** OpRequest is the main thread → worker message. */
export interface OpRequest<K extends OpName = OpName> {
  readonly id: number;
  readonly op: K;
  readonly args: OpTable[K]['args'];
}

/** WireError is a failure as it crosses the port: a libvirt error, or a bug/exception in the worker. */
export type WireError =
  | ({ readonly kind: 'libvirt' } & RawLibvirtError)
  | { readonly kind: 'internal'; readonly op: string; readonly message: string };

/** OpResponse is the worker → main thread message, matched to its request by id. */
export type OpResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError };
