import { createHash } from 'node:crypto';
import type { ModelTotals, Reconciliation, TenantTotals } from '../../api/broker.js';
import type { MeteringRecord } from './record.js';

/** ReconcileQuery picks records whose ended_at is in [from, to) and, optionally, one tenant's. */
export interface ReconcileQuery {
  from: Date;
  to: Date;
  tenant?: string;
}

const zero = (): ModelTotals => ({
  requests: 0,
  usage_unknown: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
});

function add(t: ModelTotals, r: MeteringRecord): void {
  t.requests++;
  if (r.status === 'usage_unknown') t.usage_unknown++;
  t.prompt_tokens += r.prompt_tokens ?? 0;
  t.completion_tokens += r.completion_tokens ?? 0;
  t.total_tokens += r.total_tokens ?? 0;
}

/** reconcile aggregates the records of a period by tenant and model; the same records give the same checksum. */
export function reconcile(records: readonly MeteringRecord[], q: ReconcileQuery): Reconciliation {
  const from = q.from.getTime();
  const to = q.to.getTime();
  const picked = records
    .filter((r) => {
      const at = Date.parse(r.ended_at);
      return at >= from && at < to && (q.tenant === undefined || r.tenant === q.tenant);
    })
    .sort((a, b) => a.ended_at.localeCompare(b.ended_at) || a.request_id.localeCompare(b.request_id));
  const byTenant = new Map<string, TenantTotals>();
  const hash = createHash('sha256');
  for (const r of picked) {
    hash.update(`${JSON.stringify(r)}\n`);
    const t = byTenant.get(r.tenant) ?? { tenant: r.tenant, ...zero(), models: {} };
    byTenant.set(r.tenant, t);
    add(t, r);
    const m = t.models[r.model] ?? zero();
    t.models[r.model] = m;
    add(m, r);
  }
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    tenant: q.tenant ?? null,
    records: picked.length,
    tenants: [...byTenant.values()].sort((a, b) => a.tenant.localeCompare(b.tenant)),
    checksum: hash.digest('hex'),
  };
}
