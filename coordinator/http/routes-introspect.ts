import { Hono } from 'hono';
import { IntrospectRequestSchema, type IntrospectResult } from '../../api/broker.js';
import type { Store } from '../store/index.js';
import { authenticate, bearerFromHeader, hashesEqual, hashToken } from '../tenants/index.js';
import { problem } from './problem.js';

/** IntrospectDeps: the store to look tenants up in and the broker credential's sha256 (unset: route off). */
export interface IntrospectDeps {
  store: Store;
  brokerTokenHash: string | undefined;
}

/**
 * introspectRoutes serves POST /v1/tokens/introspect for vmpool-broker: authenticated with the
 * broker's own credential (held hashed), it answers whether a tenant token is active and whose it
 * is, through the tenant service's own lookup so revocation and rotation apply at once. An admin
 * token is never "active" here: the broker acts for tenants only.
 */
export function introspectRoutes(d: IntrospectDeps): Hono {
  const app = new Hono();
  app.post('/v1/tokens/introspect', async (c) => {
    const bearer = bearerFromHeader(c.req.header('authorization'));
    if (!d.brokerTokenHash || !bearer || !hashesEqual(hashToken(bearer), d.brokerTokenHash))
      return problem(c, 'unauthorized', 'Missing or unknown broker credential');
    const body = IntrospectRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return problem(c, 'bad_request', 'Expected {"token": "…"}');
    const p = authenticate(d.store.read(), body.data.token);
    const result: IntrospectResult =
      p?.kind === 'tenant'
        ? { active: true, tenant_id: p.tenant.id, tenant_name: p.tenant.name }
        : { active: false };
    return c.json(result);
  });
  return app;
}
