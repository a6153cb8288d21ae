import { z } from 'zod';

/** PowerQuerySchema is the query of POST /v1/vms/{id}/stop|start|reboot: how long a guest gets to shut down. */
export const PowerQuerySchema = z.strictObject({
  timeout_s: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(0).max(3600))
    .default(60),
});

/** CordonBodySchema is POST /v1/nodes/{id}/cordon's optional body. */
export const CordonBodySchema = z.strictObject({ reason: z.string().max(200).default('') });

/** DrainQuerySchema: `dry_run=true` shows the plan and changes nothing; `timeout_s` per VM stop. */
export const DrainQuerySchema = PowerQuerySchema.extend({
  dry_run: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .default(false),
});

/** DrainStep is one VM in a drain plan or result. */
export interface DrainStep {
  id: string;
  name: string;
  tenant: string;
  state: string;
  /** stop (running VMs), none (already stopped or not running) */
  action: 'stop' | 'none';
  /** result is set once the drain ran: ok or the error code */
  result?: string;
}

/** DrainResult answers POST /v1/nodes/{id}/drain: the node is cordoned, then each VM stopped. */
export interface DrainResult {
  node_id: string;
  policy: 'stop';
  dry_run: boolean;
  steps: DrainStep[];
}

/** ResizeBodySchema is POST /v1/vms/{ref}/resize's body: any of the three sizes; the VM must be stopped. */
export const ResizeBodySchema = z
  .strictObject({
    vcpu_count: z.number().int().min(1).max(512).optional(),
    memory_mb: z.number().int().min(64).max(4_194_304).optional(),
    /** disk_size_gb only grows the root disk; a smaller value is refused (disk_shrink_refused) */
    disk_size_gb: z.number().int().min(1).max(16_384).optional(),
  })
  .refine((b) => b.vcpu_count !== undefined || b.memory_mb !== undefined || b.disk_size_gb !== undefined, {
    message: 'give at least one of vcpu_count, memory_mb, disk_size_gb',
  });

/** ResizeBody is a parsed resize request. */
export type ResizeBody = z.infer<typeof ResizeBodySchema>;
