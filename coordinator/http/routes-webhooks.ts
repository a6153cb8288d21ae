import type { Hono } from 'hono';
import { WebhookCreateSchema, WebhookIdParamSchema } from '../../api/webhooks.js';
import { VmpoolError } from '../../shared/errors.js';
import type { AuditJournal } from '../audit/index.js';
import type { Principal } from '../tenants/index.js';
import type { Webhooks } from '../webhooks/dispatcher.js';
import { jsonOf, paramsOf } from './validate.js';

/** WebhookRouteDeps is what the webhook routes call: the notifier and the audit log. */
export interface WebhookRouteDeps {
  webhooks: Webhooks;
  audit: AuditJournal;
}

type Env = { Variables: { principal: Principal; requestId: string } };

/**
 * registerWebhookRoutes adds the admin's /v1/webhooks: create (answers the secret once), list and
 * show (figures, never the secret), delete, and the dead letters. Changes are audited.
 */
export function registerWebhookRoutes(app: Hono<Env>, d: WebhookRouteDeps): void {
  app.use('/v1/webhooks', adminOnly);
  app.use('/v1/webhooks/*', adminOnly);
  app.post('/v1/webhooks', jsonOf(WebhookCreateSchema, 'webhook'), async (c) => {
    const created = await d.webhooks.create(c.req.valid('json'));
    await d.audit.append({
      tenant: null,
      vm: null,
      op: `webhook.create ${created.id}`,
      source: src(c),
      result: 'ok',
    });
    return c.json(created, 201);
  });
  app.get('/v1/webhooks', (c) => c.json({ webhooks: d.webhooks.list() }));
  // dead-letters is answered by the :id route: a fixed segment beside a parameter would keep hono
  // off its RegExpRouter (one regex match per request) and on the slower TrieRouter for every route
  app.get(
    '/v1/webhooks/:id',
    (c, next) =>
      c.req.param('id') === 'dead-letters'
        ? Promise.resolve(c.json({ dead_letters: d.webhooks.deadLetters(c.req.query('webhook')) }))
        : next(),
    paramsOf(WebhookIdParamSchema),
    (c) => c.json(d.webhooks.get(c.req.valid('param').id)),
  );
  app.delete('/v1/webhooks/:id', paramsOf(WebhookIdParamSchema), async (c) => {
    const id = c.req.valid('param').id;
    await d.webhooks.remove(id);
    await d.audit.append({
      tenant: null,
      vm: null,
      op: `webhook.delete ${id}`,
      source: src(c),
      result: 'ok',
    });
    return c.body(null, 204);
  });
}

async function adminOnly(c: { get: (k: 'principal') => Principal }, next: () => Promise<void>) {
  if (c.get('principal').kind !== 'admin') throw new VmpoolError('not_found', 'No such route');
  await next();
}

function src(c: { get: (k: 'requestId') => string }): string {
  return `http ${c.get('requestId')}`;
}
