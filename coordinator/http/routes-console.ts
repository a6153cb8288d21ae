import type { Hono } from 'hono';
import { type ConsoleLog, ConsoleLogQuerySchema, VmIdParamSchema } from '../../api/vms.js';
import type { Principal } from '../tenants/index.js';
import type { VmService } from '../vms/service.js';
import { paramsOf, queryOf } from './validate.js';

type Env = { Variables: { principal: Principal; requestId: string } };

/** registerConsoleRoutes adds GET /v1/vms/{id}/console-log: the tail of the VM's serial console, from its node. */
export function registerConsoleRoutes(
  app: Hono<Env>,
  vms: VmService,
  caller: (p: Principal) => Parameters<VmService['get']>[1],
): void {
  app.get('/v1/vms/:id/console-log', paramsOf(VmIdParamSchema), queryOf(ConsoleLogQuerySchema), async (c) => {
    const id = c.req.valid('param').id;
    const text = await vms.consoleLog(id, caller(c.get('principal')), c.req.valid('query').bytes);
    return c.json({ vm_id: id, text } satisfies ConsoleLog);
  });
}
