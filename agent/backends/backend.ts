import type { SpawnSpec } from '../../shared/spec.js';
import type { SpawnPhase } from '../sidecar/schema.js';

// The seam between the agent's VM authority (vms/) and the thing that runs VMs. The manager,
// recovery and the link speak only these words; libvirt lives in backends/libvirt/ and a second
// backend (a microVM runner chosen per workload) is one more folder implementing VmBackend.

/**
 * InstanceState is a running thing's state in the agent's words (the backend maps its own states).
 * `paused` is alive but not executing (an operator's suspend, or the hypervisor stopped it on an I/O
 * error): it still holds its memory and pins, and `start` resumes it.
 */
export type InstanceState = 'running' | 'paused' | 'stopped' | 'failed';

/** VmInstance is one VM as the backend holds it: name, the backend's id for it and its state. */
export interface VmInstance {
  readonly name: string;
  readonly uuid: string;
  readonly state: InstanceState;
  /** reason says why a `paused` instance is paused, as a stable lowercase word (user, ioerror, …) */
  readonly reason?: string;
}

/** VmNetworkPlan is how a VM will be reached: its MAC, known addresses and a loopback SSH forward. */
export interface VmNetworkPlan {
  readonly mac: string;
  readonly addresses: readonly string[];
  /** ssh_port is the 127.0.0.1 port forwarded to the guest's port 22 (user networking only) */
  readonly ssh_port?: number;
}

/** CreateOptions carries the VM id and where a (resumed) create starts from. */
export interface CreateOptions {
  readonly vmId: string;
  /** network is the plan recorded in the sidecar before create (planNetwork) */
  readonly network?: VmNetworkPlan;
  /** from is the last phase already done; every later step runs */
  readonly from: SpawnPhase;
  /** onPhase persists a finished phase before the next step starts */
  readonly onPhase: (phase: SpawnPhase) => Promise<void>;
}

/** RemoveOptions names the VM whose instance may be removed and whether its disks stay. */
export interface RemoveOptions {
  readonly vmId: string;
  readonly keepDisk?: boolean;
}

/** ReshapeOptions name the VM whose stopped instance is redefined, keeping its backend id and network. */
export interface ReshapeOptions {
  readonly vmId: string;
  /** uuid is the instance's backend id, kept across the redefinition */
  readonly uuid: string;
  readonly network?: VmNetworkPlan;
}

/** Rebuilt is what a backend can read back about a VM whose sidecar is gone. */
export type Rebuilt =
  | { readonly vmId: string; readonly spec: SpawnSpec; readonly instance: VmInstance }
  | { readonly vmId: string; readonly error: unknown };

/** InstanceStats are a few per-VM figures for heartbeats, keyed by VM name. */
export type InstanceStats = Map<string, Record<string, number | string | boolean>>;

/** GuestAddresses are the addresses the guest's own NIC got, and who said so. */
export interface GuestAddresses {
  readonly source: 'agent' | 'lease' | 'arp';
  readonly addresses: readonly string[];
}

/** GuestQueries ask a running guest how far its boot got; each call answers within seconds or fails. */
export interface GuestQueries {
  /** agentAlive is true when the guest agent answers a ping (false while it is not up yet) */
  agentAlive(name: string): Promise<boolean>;
  /** startProgram starts a program in the guest through its agent; resolves to the guest pid */
  startProgram(name: string, path: string, args: readonly string[]): Promise<number>;
  /** programExit is the program's exit code and the end of its output, or null while it still runs */
  programExit(name: string, pid: number): Promise<{ code: number; output: string } | null>;
  /** addresses of the NIC with this MAC: from the guest agent, else DHCP leases, else ARP; null when none */
  addresses(name: string, mac: string): Promise<GuestAddresses | null>;
}

/** VmBackend is everything the agent needs from whatever runs its VMs. */
export interface VmBackend {
  /** create makes and starts the VM from a resolved spec, step by step; rollback is remove() */
  create(spec: SpawnSpec, opts: CreateOptions): Promise<void>;
  /** lookup finds the instance by name; null when there is none */
  lookup(name: string): Promise<VmInstance | null>;
  /** list is every instance the backend has, vmpool's or not */
  list(): Promise<VmInstance[]>;
  start(name: string): Promise<void>;
  /** stop asks the guest to power off and waits up to timeoutMs; remove() forces what is left */
  stop(name: string, timeoutMs: number): Promise<void>;
  /** powerOff pulls the plug on a running instance and keeps its definition (stop's forced second half) */
  powerOff(name: string): Promise<void>;
  /** remove deletes the instance (only if it is this VM's) and the VM's files, disks unless kept */
  remove(spec: SpawnSpec, opts: RemoveOptions): Promise<void>;
  /** removeInstance deletes only the instance, and only if it carries this VM's id */
  removeInstance(name: string, vmId: string): Promise<void>;
  /**
   * reshape redefines a stopped instance from a changed spec (vCPUs, pins, memory) and grows its
   * root disk to spec.disk_size_gb when smaller; idempotent, so recovery may run it again
   */
  reshape?(spec: SpawnSpec, opts: ReshapeOptions): Promise<void>;
  /** verifyPlacement reads pins and memory binding back and rejects a mismatch with the spec */
  verifyPlacement(spec: SpawnSpec): Promise<void>;
  stats(): Promise<InstanceStats>;
  /** rebuild reads a VM back from an instance that has no sidecar; null when it is not vmpool's */
  rebuild(instance: VmInstance): Promise<Rebuilt | null>;
  /** planNetwork picks the VM's MAC and, on user networking, a free loopback SSH port not in `taken` */
  planNetwork?(spec: SpawnSpec, vmId: string, taken: ReadonlySet<number>): Promise<VmNetworkPlan>;
  /** guest asks running guests about their boot and addresses (absent: the backend cannot) */
  readonly guest?: GuestQueries;
  /** capabilities is the host description the KVM probe reads (libvirt capabilities XML), or null */
  capabilities(): Promise<string | null>;
  close(): Promise<void>;
}
