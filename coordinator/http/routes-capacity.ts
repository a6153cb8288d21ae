import type { Hono } from 'hono';
import { CapacityQuerySchema } from '../../api/capacity.js';
import { VmpoolError } from '../../shared/errors.js';
import type { Placer } from '../placer/placer.js';
import type { Principal } from '../tenants/index.js';
import { queryOf } from './validate.js';

/** WHAT_IF_LIMIT caps how many VMs one capacity question counts (an answer says when it was reached). */
const WHAT_IF_LIMIT = 2_000;

type Env = { Variables: { principal: Principal; requestId: string } };

/**
 * registerCapacityRoutes adds the admin's GET /v1/capacity: how many more VMs of a shape fit now,
 * per node and NUMA node, and which reasons stop the next one, from the real placement on a copy
 * of the fleet (seed 001's planning question; Ganeti hspace's job).
 */
export function registerCapacityRoutes(app: Hono<Env>, d: { placer: Placer }): void {
  app.get('/v1/capacity', queryOf(CapacityQuerySchema), (c) => {
    if (c.get('principal').kind !== 'admin') throw new VmpoolError('not_found', 'No such route');
    const q = c.req.valid('query');
    const ask = {
      vcpu_count: q.vcpu_count,
      memory_mb: q.memory_mb,
      image: q.image ?? '',
      placement: { cpu_policy: q.cpu_policy, requires_kvm: false, allow_reserved: q.allow_reserved },
    };
    return c.json(d.placer.whatIf(ask, WHAT_IF_LIMIT));
  });
}
