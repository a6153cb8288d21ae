import { VmpoolError } from '../../../shared/errors.js';
import type { SpawnSpec } from '../../../shared/spec.js';
import type { HostTopology } from '../../../shared/topology.js';
import { siblingOf } from '../../topology/index.js';
import type {
  CreateOptions,
  InstanceState,
  InstanceStats,
  Rebuilt,
  RemoveOptions,
  ReshapeOptions,
  VmBackend,
  VmInstance,
  VmNetworkPlan,
} from '../backend.js';
import { freeLoopbackPort } from './ports.js';
import { LibvirtGuestQueries } from './guest.js';
import { macFor, USER_NET_GUEST_ADDRESS } from './domain/network.js';
import { type OpenLibvirtOptions, openLibvirt } from './binding/index.js';
import { parseVmpoolMetadata } from './domain/parse.js';
import type { DomainState, DomainSummary, Hypervisor } from './hypervisor.js';
import { growDisk } from '../../disk/qemu-img.js';
import { redefine, removeOwnDomain, runSteps, type SpawnContext, undoSpawn } from './pipeline.js';
import { specFromDomain } from './rebuild.js';
import { verifyPinning } from './verify.js';

/** LibvirtBackendOptions are the host facts the domain XML needs beside the hypervisor. */
export interface LibvirtBackendOptions {
  readonly hv: Hypervisor;
  readonly topology: HostTopology;
  /** sysRoot is where sys/class/net is read to see whether a bridge exists */
  readonly sysRoot?: string;
  /** userNetwork gives a user-mode NIC when the spec names no bridge (demo hosts without br0) */
  readonly userNetwork?: boolean;
}

const STAT_KEYS = ['state.state', 'cpu.time', 'vcpu.current', 'balloon.current', 'balloon.rss'];

/** LibvirtBackend runs VMs as libvirt domains; everything libvirt-shaped stays behind it. */
export class LibvirtBackend implements VmBackend {
  readonly #o: LibvirtBackendOptions;
  /** guest asks guests through the QEMU guest agent and libvirt's address sources */
  readonly guest: LibvirtGuestQueries;

  constructor(o: LibvirtBackendOptions) {
    this.#o = o;
    this.guest = new LibvirtGuestQueries(o.hv);
  }

  /** hv is the libvirt connection, for tests and tools that look at domains directly. */
  get hv(): Hypervisor {
    return this.#o.hv;
  }

  /** create runs the spawn pipeline after opts.from (overlay, disks, seed, define, start, verify). */
  create(spec: SpawnSpec, opts: CreateOptions): Promise<void> {
    return runSteps(this.context(spec, opts.vmId, opts.network), opts.from, opts.onPhase);
  }

  /** planNetwork derives the MAC from the VM id; user networking adds a free 127.0.0.1 SSH port. */
  async planNetwork(spec: SpawnSpec, vmId: string, taken: ReadonlySet<number>): Promise<VmNetworkPlan> {
    const mac = macFor(vmId);
    if (spec.bridge_network_interface || !this.#o.userNetwork) return { mac, addresses: [] };
    return { mac, addresses: [USER_NET_GUEST_ADDRESS], ssh_port: await freeLoopbackPort(taken) };
  }

  /** lookup finds a domain by name. */
  async lookup(name: string): Promise<VmInstance | null> {
    const dom = await this.#o.hv.lookupDomain(name);
    return dom ? instanceOf(dom) : null;
  }

  /** list is every domain on the connection. */
  async list(): Promise<VmInstance[]> {
    return (await this.#o.hv.listDomains()).map(instanceOf);
  }

  /** start boots a defined domain, or resumes a paused one (the least surprising meaning of start). */
  async start(name: string): Promise<void> {
    const dom = await this.#o.hv.lookupDomain(name);
    if (dom?.state === 'paused') return this.#o.hv.resume(name);
    return this.#o.hv.start(name);
  }

  /** stop sends ACPI shutdown and waits for shutoff; a guest that does not answer is left for remove. */
  async stop(name: string, timeoutMs: number): Promise<void> {
    const hv = this.#o.hv;
    const dom = await hv.lookupDomain(name);
    if (!dom || dom.state === 'shutoff') return;
    const deadline = Date.now() + timeoutMs;
    await hv.shutdown(name).catch(() => undefined);
    while (Date.now() < deadline) {
      if ((await hv.lookupDomain(name))?.state === 'shutoff') return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** powerOff forces a running or paused domain off (virDomainDestroy) and keeps its definition and disks. */
  async powerOff(name: string): Promise<void> {
    const dom = await this.#o.hv.lookupDomain(name);
    if (dom && dom.state !== 'shutoff') await this.#o.hv.destroy(name);
  }

  /** remove undoes a spawn: own domain, seed ISO, and the disks unless kept. */
  remove(spec: SpawnSpec, opts: RemoveOptions): Promise<void> {
    return undoSpawn(this.#o.hv, spec, opts);
  }

  /** removeInstance stops and undefines the domain only if its metadata names vmId. */
  removeInstance(name: string, vmId: string): Promise<void> {
    return removeOwnDomain(this.#o.hv, name, vmId);
  }

  /**
   * reshape redefines the stopped domain (same name and UUID) from the changed spec, then grows the
   * root disk; libvirt swaps a persistent definition whole, and a grow is skipped once done.
   */
  async reshape(spec: SpawnSpec, opts: ReshapeOptions): Promise<void> {
    const dom = await this.#o.hv.lookupDomain(spec.name);
    if (dom && dom.state !== 'shutoff')
      throw new VmpoolError('vm_not_stopped', `Cannot resize VM ${spec.name}: its domain is not shut off`);
    await redefine({ ...this.context(spec, opts.vmId, opts.network), uuid: opts.uuid });
    await growDisk({ path: spec.disk_path, sizeGb: spec.disk_size_gb });
  }

  /** verifyPlacement compares libvirt's pins and NUMA binding with the spec. */
  verifyPlacement(spec: SpawnSpec): Promise<void> {
    return verifyPinning(this.#o.hv, spec);
  }

  /** stats picks a few figures per domain from virConnectGetAllDomainStats. */
  async stats(): Promise<InstanceStats> {
    const out: InstanceStats = new Map();
    for (const rec of await this.#o.hv.allDomainStats()) {
      const pick: Record<string, number | string | boolean> = {};
      for (const key of STAT_KEYS) if (rec.stats[key] !== undefined) pick[key] = rec.stats[key]!;
      // vcpu.wait: time the vCPUs were runnable but waited for a host thread (ns), summed over vCPUs
      const waits = Object.entries(rec.stats).filter(
        ([k, v]) => /^vcpu\.\d+\.wait$/.test(k) && typeof v === 'number',
      );
      if (waits.length) pick['vcpu.wait'] = waits.reduce((sum, [, v]) => sum + (v as number), 0);
      out.set(rec.name, pick);
    }
    return out;
  }

  /** rebuild reads a spec back from a domain's XML and vmpool metadata; null when not vmpool's. */
  async rebuild(instance: VmInstance): Promise<Rebuilt | null> {
    const xml = await this.#o.hv.xmlDesc(instance.name, { inactive: true }).catch(() => null);
    if (xml === null) return null; // vanished since the listing
    const meta = parseVmpoolMetadata(xml);
    if (!meta) return null; // not ours: never touched
    try {
      return { vmId: meta.id, spec: await specFromDomain(instance.name, xml, meta), instance };
    } catch (error) {
      return { vmId: meta.id, error };
    }
  }

  /** capabilities is libvirt's host capabilities XML, or null when libvirt cannot give it. */
  capabilities(): Promise<string | null> {
    return this.#o.hv.capabilities().catch(() => null);
  }

  /** close closes the libvirt connection. */
  close(): Promise<void> {
    return this.#o.hv.close();
  }

  private context(spec: SpawnSpec, vmId: string, network?: VmNetworkPlan): SpawnContext {
    const topo = this.#o.topology;
    return {
      hv: this.#o.hv,
      spec,
      vmId,
      kvm: topo.kvm,
      threadsPerCore: topo.threads_per_core,
      areSiblings: (a, b) => siblingOf(topo, a) === b,
      sysRoot: this.#o.sysRoot ?? '/',
      userNetwork: this.#o.userNetwork ?? false,
      ...(network ? { network } : {}),
    };
  }
}

/** instanceStateOf maps a libvirt domain state to the agent's instance state. */
export function instanceStateOf(state: DomainState): InstanceState {
  if (state === 'running' || state === 'blocked') return 'running';
  if (state === 'paused') return 'paused';
  if (state === 'crashed') return 'failed';
  return 'stopped';
}

function instanceOf(dom: DomainSummary): VmInstance {
  const state = instanceStateOf(dom.state);
  const reason = state === 'paused' ? (dom.paused_reason ?? 'unknown') : undefined;
  return { name: dom.name, uuid: dom.uuid, state, ...(reason ? { reason } : {}) };
}

/** openLibvirtConnection opens the libvirt connection a LibvirtBackend is built on. */
export function openLibvirtConnection(uri: string, opts: OpenLibvirtOptions = {}): Promise<Hypervisor> {
  return openLibvirt(uri, opts);
}
