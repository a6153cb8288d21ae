import type { Context, Hono } from 'hono';
import {
  type JoinTokenRotated,
  JoinTokenRotateSchema,
  NodeIdParamSchema,
  NodeRemoveQuerySchema,
} from '../../api/fleet.js';
import { VmpoolError } from '../../shared/errors.js';
import type { AuditJournal } from '../audit/index.js';
import type { ClaimBook } from '../claims/claim-book.js';
import type { NodeIdentity } from '../link/identity.js';
import type { NodeRegistry } from '../registry/registry.js';
import { generateToken } from '../tenants/index.js';
import type { AdminGuard, Env } from './env.js';
import { optionalJsonOf, paramsOf, queryOf } from './validate.js';

/** NodeAdminDeps are what the node administration routes change. */
export interface NodeAdminDeps {
  identity: NodeIdentity;
  registry: NodeRegistry;
  claims: ClaimBook;
  audit: AuditJournal;
}

type Source = (c: Context<Env>) => string;

/**
 * registerNodeRoutes adds the admin's node routes: DELETE /v1/nodes/{id} revokes a node's
 * credential, closes its socket and forgets it (`purge=true` also forgets its VM records: a node
 * gone for good), and POST /v1/join-token rotates the join token without a restart (the old one
 * enrols for an optional grace period, then is refused).
 */
export function registerNodeRoutes(
  app: Hono<Env>,
  admin: AdminGuard,
  d: NodeAdminDeps,
  source: Source,
): void {
  app.delete(
    '/v1/nodes/:id',
    admin,
    paramsOf(NodeIdParamSchema),
    queryOf(NodeRemoveQuerySchema),
    async (c) => {
      const id = c.req.valid('param').id;
      const { purge } = c.req.valid('query');
      if (!d.registry.get(id) && !d.identity.enrolled().includes(id))
        throw new VmpoolError('not_found', 'Cannot find node: no such node');
      const held = Object.values(d.claims.state().vms).filter((v) => v.node_id === id).length;
      if (held > 0 && !purge)
        throw new VmpoolError(
          'conflict',
          `Cannot remove node "${id}": it holds ${held} VM records; pass purge=true to forget them too`,
        );
      const src = source(c);
      await d.audit.append({
        tenant: null,
        vm: null,
        op: 'node.remove',
        source: src,
        result: purge ? 'ok:purge' : 'ok',
      });
      await d.identity.revoke(id);
      d.registry.remove(id, 'node removed by the admin');
      if (purge) await d.claims.purgeNode(id, src);
      return c.body(null, 204);
    },
  );
  app.post(
    '/v1/join-token',
    admin,
    optionalJsonOf(JoinTokenRotateSchema, 'join token rotation'),
    async (c) => {
      const { grace_seconds } = c.req.valid('json');
      const { token } = generateToken();
      await d.audit.append({
        tenant: null,
        vm: null,
        op: 'join_token.rotate',
        source: source(c),
        result: 'ok',
      });
      const { oldValidUntil } = await d.identity.rotateJoinToken(token, grace_seconds);
      return c.json(
        { join_token: token, old_token_valid_until: oldValidUntil } satisfies JoinTokenRotated,
        201,
      );
    },
  );
}
