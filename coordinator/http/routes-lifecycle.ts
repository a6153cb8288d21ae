import type { Hono } from 'hono';
import { NodeIdParamSchema } from '../../api/fleet.js';
import {
  CordonBodySchema,
  type DrainResult,
  type DrainStep,
  DrainQuerySchema,
  PowerQuerySchema,
} from '../../api/lifecycle.js';
import { VmIdParamSchema } from '../../api/vms.js';
import { VmpoolError, isVmpoolError } from '../../shared/errors.js';
import type { AuditJournal } from '../audit/index.js';
import type { Cordons } from '../nodes/cordons.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { Principal } from '../tenants/index.js';
import type { VmService } from '../vms/service.js';
import { jsonOf, paramsOf, queryOf } from './validate.js';

/** LifecycleDeps is what the day-2 routes call. */
export interface LifecycleDeps {
  vms: VmService;
  registry: NodeRegistry;
  cordons: Cordons;
  audit: AuditJournal;
}

type Env = { Variables: { principal: Principal; requestId: string } };
type Ctx = { get(k: 'principal'): Principal; get(k: 'requestId'): string };

/**
 * registerLifecycleRoutes adds day-2 operations: stop/start/reboot of a VM (its owner or the
 * admin), and for the admin node cordon/uncordon, drain (plan first with dry_run=true) and
 * force-forget of a down node's VMs. Every change is audited.
 */
export function registerLifecycleRoutes(app: Hono<Env>, d: LifecycleDeps): void {
  for (const op of ['stop', 'start', 'reboot'] as const) {
    app.post(`/v1/vms/:id/${op}`, paramsOf(VmIdParamSchema), queryOf(PowerQuerySchema), async (c) => {
      const vm = await d.vms.power(c.req.valid('param').id, caller(c.get('principal')), op, {
        source: src(c),
        requestId: c.get('requestId'),
        timeoutMs: c.req.valid('query').timeout_s * 1000,
      });
      return c.json(vm);
    });
  }
  app.post(
    '/v1/nodes/:id/cordon',
    adminOnly,
    paramsOf(NodeIdParamSchema),
    jsonOf(CordonBodySchema, 'cordon'),
    async (c) => {
      const id = knownNode(d, c.req.valid('param').id);
      const cordon = { reason: c.req.valid('json').reason, since: new Date().toISOString() };
      await d.cordons.set(id, cordon);
      await d.audit.append({ tenant: null, vm: null, op: `node.cordon ${id}`, source: src(c), result: 'ok' });
      return c.json({ node_id: id, cordoned: true, ...cordon });
    },
  );
  app.delete('/v1/nodes/:id/cordon', adminOnly, paramsOf(NodeIdParamSchema), async (c) => {
    const id = knownNode(d, c.req.valid('param').id);
    await d.cordons.set(id, null);
    await d.audit.append({ tenant: null, vm: null, op: `node.uncordon ${id}`, source: src(c), result: 'ok' });
    return c.json({ node_id: id, cordoned: false });
  });
  app.post(
    '/v1/nodes/:id/drain',
    adminOnly,
    paramsOf(NodeIdParamSchema),
    queryOf(DrainQuerySchema),
    async (c) => {
      const id = knownNode(d, c.req.valid('param').id);
      const q = c.req.valid('query');
      const steps: DrainStep[] = d.vms.list({ kind: 'admin' }, { node: id }).map((v) => ({
        id: v.id,
        name: v.name,
        tenant: v.tenant,
        state: v.state,
        action: v.state === 'running' || v.state === 'paused' ? 'stop' : 'none',
      }));
      if (!q.dry_run) {
        await d.cordons.set(id, { reason: 'drain', since: new Date().toISOString() });
        await d.audit.append({
          tenant: null,
          vm: null,
          op: `node.drain ${id}`,
          source: src(c),
          result: 'started',
        });
        for (const step of steps)
          step.result = step.action === 'none' ? 'ok' : await stopOne(d, c, step, q.timeout_s);
      }
      return c.json({ node_id: id, policy: 'stop', dry_run: q.dry_run, steps } satisfies DrainResult);
    },
  );
  app.post('/v1/nodes/:id/forget-vms', adminOnly, paramsOf(NodeIdParamSchema), async (c) => {
    const id = c.req.valid('param').id;
    const up = d.registry.get(id)?.state === 'ready';
    const forgotten = await d.vms.forgetOnNode(id, up, `admin force-forget ${src(c)}`);
    await d.audit.append({
      tenant: null,
      vm: null,
      op: `node.forget-vms ${id}`,
      source: src(c),
      result: `ok:${forgotten.length}`,
    });
    return c.json({ node_id: id, forgotten });
  });
}

async function stopOne(d: LifecycleDeps, c: Ctx, step: DrainStep, timeoutS: number): Promise<string> {
  try {
    const vm = await d.vms.power(step.id, { kind: 'admin' }, 'stop', {
      source: `drain ${src(c)}`,
      requestId: c.get('requestId'),
      timeoutMs: timeoutS * 1000,
    });
    step.state = vm.state;
    return 'ok';
  } catch (err) {
    return isVmpoolError(err) ? err.code : 'internal';
  }
}

function knownNode(d: LifecycleDeps, id: string): string {
  if (!d.registry.get(id)) throw new VmpoolError('not_found', `Cannot find node "${id}"`);
  return id;
}

async function adminOnly(c: { get: (k: 'principal') => Principal }, next: () => Promise<void>) {
  if (c.get('principal').kind !== 'admin') throw new VmpoolError('not_found', 'No such route');
  await next();
}

function caller(p: Principal) {
  return p.kind === 'admin'
    ? ({ kind: 'admin' } as const)
    : ({ kind: 'tenant', tenantId: p.tenant.id } as const);
}

function src(c: { get(k: 'requestId'): string }): string {
  return `http ${c.get('requestId')}`;
}
