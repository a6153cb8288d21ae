import type { Store, StoreChange, StoreState, VmRecord } from '../store/types.js';
import { compareKeys, type PageKey } from './list-page.js';

/**
 * VmOrder keeps every VM id in page order (created_at, then id) and the count of VMs per node and
 * state, up to date from the store's change feed, so a page of GET /v1/vms costs a binary search
 * plus the page and a metrics scrape costs the nodes, not a scan and sort of 100,000 VMs. A store
 * without a feed is re-read whenever its root changes.
 */
export class VmOrder {
  private keys: PageKey[] = [];
  private readonly byId = new Map<string, { key: PageKey; node: string | null; state: string }>();
  private readonly counts = new Map<string | null, Map<string, number>>();
  private root: StoreState | null = null;
  private readonly fed: boolean;

  constructor(private readonly store: Store) {
    this.fed = store.watch !== undefined;
    store.watch?.((change, state) => this.apply(change, state));
  }

  /** idsAfter yields VM ids in page order after `after` (from the start when null). */
  *idsAfter(after: PageKey | null): Generator<string> {
    this.sync();
    let lo = 0;
    let hi = this.keys.length;
    while (after && lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid] as PageKey, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const keys = this.keys; // a change replaces or splices it; a page is read in one synchronous pass
    for (let i = lo; i < keys.length; i++) yield (keys[i] as PageKey).id;
  }

  /** stateCounts is how many VMs each node (null: none) holds per stored state. */
  stateCounts(): ReadonlyMap<string | null, ReadonlyMap<string, number>> {
    this.sync();
    return this.counts;
  }

  private sync(): void {
    if (this.fed && this.root !== null) return;
    const state = this.store.read();
    if (state !== this.root) this.apply({ vms: [], reset: true }, state);
  }

  private apply(change: StoreChange, state: StoreState): void {
    const first = this.root === null;
    this.root = state;
    if (change.reset || first) {
      this.byId.clear();
      this.counts.clear();
      this.keys = [];
      for (const vm of Object.values(state.vms)) {
        this.add(vm, false);
        this.keys.push(this.byId.get(vm.id)?.key ?? { created_at: vm.created_at, id: vm.id });
      }
      this.keys.sort(compareKeys);
      return;
    }
    for (const id of change.vms) {
      const vm = Object.hasOwn(state.vms, id) ? state.vms[id] : undefined;
      const old = this.byId.get(id);
      if (old) this.drop(id, !vm || vm.created_at !== old.key.created_at);
      if (vm) this.add(vm, !old || vm.created_at !== old.key.created_at);
    }
  }

  private add(vm: VmRecord, place: boolean): void {
    const prior = this.byId.get(vm.id);
    this.count(vm.node_id, vm.state, 1);
    if (prior && !place) {
      // a record changed in place (its state, mostly): same key, the entry is updated where it is
      prior.node = vm.node_id;
      prior.state = vm.state;
      return;
    }
    const key = { created_at: vm.created_at, id: vm.id };
    this.byId.set(vm.id, { key, node: vm.node_id, state: vm.state });
    if (place) this.insert(key);
  }

  /** drop forgets a VM's count and, when `unplace`, its place in the order. */
  private drop(id: string, unplace: boolean): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.count(old.node, old.state, -1);
    if (!unplace) return;
    this.byId.delete(id);
    const at = this.lowerBound(old.key);
    if (this.keys[at]?.id === id) this.keys.splice(at, 1);
  }

  private insert(key: PageKey): void {
    const last = this.keys[this.keys.length - 1];
    // a new VM is the newest one nearly always: it goes at the end without a search
    if (last === undefined || compareKeys(last, key) < 0) {
      this.keys.push(key);
      return;
    }
    const at = this.lowerBound(key);
    if (at === this.keys.length) this.keys.push(key);
    else this.keys.splice(at, 0, key);
  }

  private lowerBound(key: PageKey): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid] as PageKey, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private count(node: string | null, state: string, d: number): void {
    let m = this.counts.get(node);
    if (!m) {
      m = new Map();
      this.counts.set(node, m);
    }
    const n = (m.get(state) ?? 0) + d;
    if (n === 0) m.delete(state);
    else m.set(state, n);
    if (m.size === 0) this.counts.delete(node);
  }
}
