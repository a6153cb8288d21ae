import { Hono } from 'hono';
import { ReconcileQuerySchema, type Reconciliation } from '../../api/broker.js';
import type { Caller } from '../auth/auth.js';
import { BrokerError } from '../errors.js';
import type { MeteringJournal } from '../metering/journal.js';
import { reconcile } from '../metering/reconcile.js';

/** BillingDeps: the journal to sum, and the license state for status. */
export interface BillingDeps {
  journal: MeteringJournal;
  license: () => unknown;
  caller?: never;
}

type Env = { Variables: { caller: Caller; requestId: string } };

/**
 * billingRoutes: GET /v1/billing/reconciliation (admin: any or every tenant; a tenant: only its
 * own, asking for another is 403) and GET /v1/usage (the caller's own usage).
 */
export function billingRoutes(d: BillingDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/v1/billing/reconciliation', (c) => {
    const q = parseQuery(c.req.query());
    const caller = c.get('caller');
    if (caller.kind === 'tenant') {
      if (q.tenant !== undefined && q.tenant !== caller.tenant)
        throw new BrokerError('permission_denied', "Cannot read another tenant's usage");
      q.tenant = caller.tenant;
    }
    return c.json(run(d, q) satisfies Reconciliation);
  });
  app.get('/v1/usage', (c) => {
    const caller = c.get('caller');
    if (caller.kind !== 'tenant')
      throw new BrokerError('permission_denied', 'Usage is per tenant: use a tenant token');
    const q = parseQuery({ ...c.req.query(), tenant: caller.tenant });
    return c.json(run(d, q) satisfies Reconciliation);
  });
  return app;
}

function parseQuery(raw: Record<string, string>): { from: string; to: string; tenant?: string } {
  const r = ReconcileQuerySchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BrokerError(
      'invalid_request',
      `Bad query ${i?.path.join('.') || ''}: ${i?.message ?? 'invalid'}`,
    );
  }
  if (Date.parse(r.data.from) >= Date.parse(r.data.to))
    throw new BrokerError('invalid_request', 'from must be before to');
  return { ...r.data };
}

function run(d: BillingDeps, q: { from: string; to: string; tenant?: string }): Reconciliation {
  return reconcile(d.journal.all(), {
    from: new Date(q.from),
    to: new Date(q.to),
    ...(q.tenant === undefined ? {} : { tenant: q.tenant }),
  });
}
