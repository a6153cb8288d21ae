import type { Allocation } from '../placement/types.js';
import { allocationOf } from './records.js';
import type { Store, StoreChange, StoreState, VmRecord } from '../store/index.js';
import { addUsage, type TenantUsage } from '../tenants/quota.js';

/**
 * VmIndex keeps the lookups the create path needs — claims per node, VMs per tenant, names per
 * tenant, used VMIDs — up to date from the store's change feed, so admission and placement never
 * scan every VM. A store without a feed (Store.watch is optional) is re-indexed whenever read()
 * returns a new root, which is what every decision cost before.
 */
export class VmIndex {
  private records = new Map<string, VmRecord>();
  private readonly byNode = new Map<string, Map<string, Allocation>>();
  private readonly onNode = new Map<string, Set<string>>();
  private readonly byTenant = new Map<string, Map<string, VmRecord>>();
  private readonly names = new Map<string, Map<string, number>>();
  private readonly usage = new Map<string, TenantUsage>();
  /** shared: VMIDs more than one record holds, with that count (rare: `used` alone covers the rest) */
  private readonly shared = new Map<number, number>();
  private readonly used = new Set<number>();
  /** floors: per searched VMID range "from:to", every VMID below the floor is in use */
  private readonly floors = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly versions = new Map<string, number>();
  private epoch = 0;
  private root: StoreState | null = null;
  private readonly fed: boolean;

  constructor(private readonly store: Store) {
    this.fed = typeof store.watch === 'function';
    store.watch?.((change, state) => this.apply(change, state));
  }

  /** idsOn lists the ids of the VM records on one node (claims and VMs without a placement alike). */
  idsOn(nodeId: string): string[] {
    this.sync();
    const on = this.onNode.get(nodeId);
    return on ? [...on] : [];
  }

  /** isOn says whether the store records the VM on that node. */
  isOn(nodeId: string, vmId: string): boolean {
    this.sync();
    return this.onNode.get(nodeId)?.has(vmId) ?? false;
  }

  /** nodeVersion changes whenever a VM record on the node changes (a cheap "anything new here?"). */
  nodeVersion(nodeId: string): string {
    this.sync();
    return `${this.epoch}:${this.versions.get(nodeId) ?? 0}`;
  }

  /** claimsOn lists the allocations the store holds on one node. */
  claimsOn(nodeId: string): Allocation[] {
    this.sync();
    const on = this.byNode.get(nodeId);
    return on ? [...on.values()] : [];
  }

  /** tenantVms lists one tenant's VM records. */
  tenantVms(tenantId: string): VmRecord[] {
    this.sync();
    const own = this.byTenant.get(tenantId);
    return own ? [...own.values()] : [];
  }

  /** tenantUsage is what one tenant's VMs count against its quota. */
  tenantUsage(tenantId: string): TenantUsage {
    this.sync();
    return { ...(this.usage.get(tenantId) ?? { vms: 0, vcpus: 0, memory_mb: 0, disk_gb: 0 }) };
  }

  /** nameTaken says whether the tenant already has a VM of that name. */
  nameTaken(tenantId: string, name: string): boolean {
    this.sync();
    return (this.names.get(tenantId)?.get(name) ?? 0) > 0;
  }

  /** usedVmids is the live set of VMIDs in use (read only; it changes as the store does). */
  usedVmids(): ReadonlySet<number> {
    this.sync();
    return this.used;
  }

  /**
   * firstFree is the lowest VMID in [from, to] no VM holds. It resumes where the last search of the
   * same range stopped (every VMID below that was in use then; a release below it moves it back), so
   * a band filled from the bottom costs O(1) per allocation, not a scan of every used VMID.
   */
  firstFree(from: number, to: number): number | undefined {
    this.sync();
    const range = `${from}:${to}`;
    let vmid = Math.max(from, this.floors.get(range) ?? from);
    while (vmid <= to && this.used.has(vmid)) vmid++;
    this.floors.set(range, vmid);
    return vmid <= to ? vmid : undefined;
  }

  /** drainChangedNodes returns the nodes whose claims changed since the last call. */
  drainChangedNodes(): string[] {
    this.sync();
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  private sync(): void {
    if (this.fed && this.root !== null) return;
    const state = this.store.read();
    if (state !== this.root) this.apply({ vms: [], reset: true }, state);
  }

  private apply(change: StoreChange, state: StoreState): void {
    this.root = state;
    if (change.reset) {
      this.epoch++;
      for (const vm of this.records.values()) this.drop(vm);
      this.records = new Map();
      for (const vm of Object.values(state.vms)) this.add(vm);
      return;
    }
    for (const id of change.vms) {
      const old = this.records.get(id);
      const vm = Object.hasOwn(state.vms, id) ? state.vms[id] : undefined;
      // a state change (spawning, running, …) keeps the claim: its node's claim list keeps its order
      // and placement is not told, so the node is not rebuilt for a record that holds the same pins
      const kept = old !== undefined && vm !== undefined && sameClaim(old, vm);
      if (kept && sameKeys(old, vm)) this.replace(vm);
      else {
        if (old) this.drop(old, kept);
        if (vm) this.add(vm, kept);
      }
    }
  }

  /**
   * replace swaps in a new version of a record whose claim, tenant, name, VMID and request are the
   * ones indexed (a state change: spawning, running, …): usage, names and VMIDs stay as they are,
   * only the record objects are new and its node's version moves.
   */
  private replace(vm: VmRecord): void {
    this.records.set(vm.id, vm);
    mapOf(this.byTenant, vm.tenant).set(vm.id, vm);
    if (vm.node_id) this.versions.set(vm.node_id, (this.versions.get(vm.node_id) ?? 0) + 1);
  }

  private add(vm: VmRecord, keptClaim = false): void {
    this.records.set(vm.id, vm);
    if (vm.node_id) this.touch(vm.node_id, vm.id, true);
    const a = allocationOf(vm);
    if (a && vm.node_id && !keptClaim) {
      mapOf(this.byNode, vm.node_id).set(vm.id, a);
      this.dirty.add(vm.node_id);
    }
    mapOf(this.byTenant, vm.tenant).set(vm.id, vm);
    let usage = this.usage.get(vm.tenant);
    if (!usage) {
      usage = { vms: 0, vcpus: 0, memory_mb: 0, disk_gb: 0 };
      this.usage.set(vm.tenant, usage);
    }
    addUsage(usage, vm, 1);
    const names = mapOf(this.names, vm.tenant);
    names.set(vm.name, (names.get(vm.name) ?? 0) + 1);
    if (this.used.has(vm.vmid)) this.shared.set(vm.vmid, (this.shared.get(vm.vmid) ?? 1) + 1);
    else this.used.add(vm.vmid);
  }

  private drop(vm: VmRecord, keptClaim = false): void {
    this.records.delete(vm.id);
    if (vm.node_id) {
      this.touch(vm.node_id, vm.id, false);
      if (!keptClaim) {
        this.byNode.get(vm.node_id)?.delete(vm.id);
        this.dirty.add(vm.node_id);
      }
    }
    this.byTenant.get(vm.tenant)?.delete(vm.id);
    const usage = this.usage.get(vm.tenant);
    if (usage) addUsage(usage, vm, -1);
    const names = this.names.get(vm.tenant);
    const n = (names?.get(vm.name) ?? 1) - 1;
    if (n > 0) names?.set(vm.name, n);
    else names?.delete(vm.name);
    const c = (this.shared.get(vm.vmid) ?? 1) - 1;
    if (c > 1) this.shared.set(vm.vmid, c);
    else if (c === 1) this.shared.delete(vm.vmid);
    else {
      this.used.delete(vm.vmid);
      for (const [range, floor] of this.floors) if (vm.vmid < floor) this.floors.set(range, vm.vmid);
    }
  }

  private touch(nodeId: string, vmId: string, present: boolean): void {
    this.versions.set(nodeId, (this.versions.get(nodeId) ?? 0) + 1);
    let ids = this.onNode.get(nodeId);
    if (!ids) {
      ids = new Set();
      this.onNode.set(nodeId, ids);
    }
    if (present) ids.add(vmId);
    else ids.delete(vmId);
  }
}

/** sameKeys: both versions count alike in every per-tenant and VMID lookup (usage comes from the claim and request). */
function sameKeys(old: VmRecord, vm: VmRecord): boolean {
  return (
    old.tenant === vm.tenant && old.name === vm.name && old.vmid === vm.vmid && old.request === vm.request
  );
}

/** sameClaim: both versions of a record hold the same allocation (one object) on the same node. */
function sameClaim(old: VmRecord, vm: VmRecord): boolean {
  if (old.node_id !== vm.node_id || !vm.node_id) return false;
  const a = allocationOf(old);
  return a !== null && a === allocationOf(vm);
}

function mapOf<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}
