import type { PlacementResult } from '../placement/types.js';
import type { StoreState } from '../store/types.js';

/**
 * nameAntiAffinity rewrites anti-affinity rejections in people's words. Placement is pure and knows
 * only claim ids and namespaced group keys (`<tenant id>:<group>`); an operator knows VM names and
 * the group label they gave. Groups are per tenant, so the VM named is always the asker's own.
 */
export function nameAntiAffinity(
  r: PlacementResult,
  state: StoreState,
  groupKey: string | undefined,
): PlacementResult {
  if (groupKey === undefined) return r;
  // a placed VM usually has no rejections at all: no walk of every VM to name nobody
  if (!r.passes.some((p) => p.rejected.some((x) => x.reason === 'anti_affinity'))) return r;
  const label = groupKey.slice(groupKey.indexOf(':') + 1);
  const holders = new Map<string, string[]>();
  for (const vm of Object.values(state.vms)) {
    if (vm.placement?.anti_affinity_group !== groupKey || !vm.node_id) continue;
    holders.set(vm.node_id, [...(holders.get(vm.node_id) ?? []), vm.name].sort());
  }
  const passes = r.passes.map((p) => ({
    ...p,
    rejected: p.rejected.map((x) => {
      if (x.reason !== 'anti_affinity') return x;
      const names = holders.get(x.node_id) ?? [];
      const who = names.length ? `VM ${names.map((n) => JSON.stringify(n)).join(', ')}` : 'a VM';
      return { ...x, detail: `node already holds ${who} of anti-affinity group ${JSON.stringify(label)}` };
    }),
  }));
  return { ...r, passes } as PlacementResult;
}
