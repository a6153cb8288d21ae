import { z } from 'zod';
import { UserConfigSchema } from '../../shared/spec.js';

/** VM_LABEL_RE keeps tenant-chosen VM names short and safe as part of a libvirt domain name. */
const VM_LABEL_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** PlacementOptionsSchema is what a client may ask of placement. */
export const PlacementOptionsSchema = z.strictObject({
  cpu_policy: z.enum(['dedicated', 'shared']).default('dedicated'),
  requires_kvm: z.boolean().default(false),
  allow_reserved: z.boolean().default(true),
  anti_affinity_group: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .optional(),
});

/** CreateVmSchema is the body of POST /v1/vms (and of a dry-run). */
export const CreateVmSchema = z.strictObject({
  name: z.string().regex(VM_LABEL_RE, 'must be 1-40 lowercase letters, digits or dashes'),
  vcpu_count: z.number().int().min(1).max(512),
  memory_mb: z.number().int().min(64).max(4_194_304),
  disk_size_gb: z.number().int().min(1).max(16_384),
  image: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a base image name'),
  user_configs: z.array(UserConfigSchema).max(32).default([]),
  network: z
    .strictObject({
      bridge: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,15}$/)
        .nullable(),
    })
    .optional(),
  extra_disks: z
    .array(z.strictObject({ size_gb: z.number().int().min(1).max(65_536) }))
    .max(8)
    .default([]),
  placement: PlacementOptionsSchema.default({
    cpu_policy: 'dedicated',
    requires_kvm: false,
    allow_reserved: true,
  }),
  vmid_band: z.string().max(64).optional(),
  vmid: z.number().int().positive().optional(),
  tags: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/))
    .max(32)
    .default([]),
  cpu_mode: z.enum(['default', 'host-model', 'host-passthrough', 'maximum']).optional(),
});

/** CreateVmRequest is a validated create body with defaults applied. */
export type CreateVmRequest = z.infer<typeof CreateVmSchema>;
