import type {
  AddressSource,
  DomainInfo,
  DomainStats,
  DomainSummary,
  GuestInterface,
  NodeInfo,
  NumaTune,
} from '../hypervisor.js';

/** OpTable lists every operation of the binding: its arguments and its result, all plain data (no pointers). */
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

/** OpName is one binding operation. */
export type OpName = keyof OpTable;
