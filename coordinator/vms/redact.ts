import type { TenantDryRun } from '../../api/placement.js';
import type { Hello } from '../../shared/protocol.js';
import type { PassReport, Shortfall } from '../placement/types.js';
import type { PlacementAsk } from '../placer/placer.js';

/** NumaShape is a NUMA node's size for VMs: threads not reserved for the host, and its memory. */
export interface NumaShape {
  threads: number;
  memory_mb: number;
}

/**
 * largestNuma is the fleet's SHAPE a tenant may know: the most threads (and, separately, memory)
 * any one NUMA node offers VMs when empty. Nothing about what is in use goes into it.
 */
export function largestNuma(hellos: readonly Hello[]): NumaShape | null {
  const shapes = hellos.flatMap((h) => {
    const reserved = new Set(h.host_reserved_cpus);
    return h.topology.numa_nodes.map((n) => ({
      threads: n.cpus.filter((c) => !reserved.has(c.id)).length,
      memory_mb: n.memory_mb,
    }));
  });
  if (!shapes.length) return null;
  return {
    threads: Math.max(...shapes.map((x) => x.threads)),
    memory_mb: Math.max(...shapes.map((x) => x.memory_mb)),
  };
}

function ask(req: PlacementAsk): string {
  return `${req.vcpu_count} ${req.placement.cpu_policy} vCPUs and ${req.memory_mb} MiB on one NUMA node`;
}

/**
 * tenantReason is the one sentence a tenant gets for a placement: that it fits, that there is no
 * room for it right now, or that it never fits with the largest NUMA node's size. Other tenants'
 * usage, node ids, free threads and pins never appear.
 */
export function tenantReason(
  req: PlacementAsk,
  shortfall: Shortfall | null,
  shape: NumaShape | null,
  passes: readonly PassReport[] = [],
): string {
  if (shortfall === null) return `fits: there is room for ${ask(req)}`;
  if (shortfall === 'no_room_now') return `no capacity for ${ask(req)} right now${ownGroup(req, passes)}`;
  if (!shape) return 'never fits: no node is registered';
  const size = `the largest NUMA node has ${shape.threads} threads and ${shape.memory_mb} MiB for VMs`;
  const bigger = req.vcpu_count > shape.threads || req.memory_mb > shape.memory_mb;
  return bigger
    ? `never fits: ${size}`
    : `never fits: no node takes this image, KVM or placement constraint (${size})`;
}

/**
 * ownGroup names the tenant's own anti-affinity group when it ruled nodes out: the group and its VMs
 * are the tenant's own, so saying so tells nothing about anyone else (how many nodes it ruled out is
 * not said).
 */
function ownGroup(req: PlacementAsk, passes: readonly PassReport[]): string {
  const label = req.placement.anti_affinity_group;
  if (!label || !passes.some((p) => (p.reasons.anti_affinity ?? 0) > 0)) return '';
  return `; your anti-affinity group "${label}" rules out every node that already holds one of its VMs`;
}

/** tenantDryRun turns a placement result into what the asking tenant may see. */
export function tenantDryRun(
  req: PlacementAsk,
  result: { ok: boolean; shortfall?: Shortfall; passes?: readonly PassReport[] },
  shape: NumaShape | null,
  vmid: number | undefined,
): TenantDryRun {
  const shortfall = result.ok ? null : (result.shortfall ?? 'no_room_now');
  const reason = tenantReason(req, shortfall, shape, result.passes);
  return result.ok
    ? { ok: true, redacted: true, reason, ...(vmid !== undefined ? { vmid } : {}) }
    : { ok: false, redacted: true, code: 'no_capacity', shortfall: shortfall!, reason };
}

/** reasonCounts sums a failed placement's rejections per reason over its passes, for the admin's log. */
export function reasonCounts(passes: readonly PassReport[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of passes) for (const [r, n] of Object.entries(p.reasons)) out[r] = (out[r] ?? 0) + (n ?? 0);
  return out;
}
