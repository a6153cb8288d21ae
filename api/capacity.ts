import { z } from 'zod';

const whole = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** CapacityQuerySchema is GET /v1/capacity: the VM shape to count, as a create would ask for it. */
export const CapacityQuerySchema = z.strictObject({
  vcpu_count: whole(1, 512),
  memory_mb: whole(64, 4_194_304),
  cpu_policy: z.enum(['dedicated', 'shared']).default('dedicated'),
  image: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)
    .optional(),
  allow_reserved: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .default(true),
});

/** CapacityAnswer says how many more VMs of one shape fit now, where, and what stops the next one. */
export interface CapacityAnswer {
  shape: { vcpu_count: number; memory_mb: number; cpu_policy: string };
  /** fits is how many more such VMs the real placement puts on the fleet, one after another */
  fits: number;
  /** capped is true when counting stopped at the limit rather than at a refusal */
  capped: boolean;
  nodes: { node_id: string; fits: number; numa_nodes: Record<string, number> }[];
  /** exhausted counts, per reason, the nodes that refused the next VM (what runs out first) */
  exhausted: Record<string, number>;
}
