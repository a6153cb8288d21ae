import { z } from 'zod';
import { BridgeNameSchema } from './bridge-name.js';

/** VM_NAME_RE limits VM names to what is safe as a libvirt name, hostname and file name. */
export const VM_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;
/** USERNAME_RE is the portable POSIX user name set cloud-init accepts everywhere. */
export const USERNAME_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
/** SSH_KEY_RE is one OpenSSH public key line: type, base64 blob, optional printable comment. */
export const SSH_KEY_RE =
  /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=.]+( [\x20-\x7e]{0,256})?$/;
/** CPU_ID_RE is one host thread id as the seed writes it: a decimal string. */
const CPU_ID_RE = /^\d{1,5}$/;
/** CPULIST_RE is the cpulist form ("16-17,52-53"); parseCpuList checks ranges. */
export const CPULIST_RE = /^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/;

const absPath = z
  .string()
  .min(2)
  .max(4096)
  .regex(/^\/[^\0\n\r]*$/, 'must be an absolute path without control characters');

/** ExtraDiskSchema is one additional data disk (seed 003's hot/cold tiers): a new qcow2 of size_gb. */
export const ExtraDiskSchema = z.strictObject({
  path: absPath,
  size_gb: z.number().int().min(1).max(65_536),
  /** target is the guest device name; defaults to vdb, vdc, … in order */
  target: z
    .string()
    .regex(/^vd[b-z]$/)
    .optional(),
});

/** UserConfigSchema is one guest user and the SSH keys cloud-init installs for it. */
export const UserConfigSchema = z.strictObject({
  username: z.string().regex(USERNAME_RE, 'must match ^[a-z_][a-z0-9_-]{0,31}$'),
  ssh_authorized_keys: z
    .array(z.string().max(16_384).regex(SSH_KEY_RE, 'must be one OpenSSH public key on one line'))
    .max(64),
});

/** TuningSchema is seed 003's pinning block: one host thread per vCPU, emulator cpuset, NUMA memory. */
export const TuningSchema = z.strictObject({
  vcpu_pins: z.array(z.string().regex(CPU_ID_RE, 'must be a host thread id')).min(1).max(1024),
  emulator_cpuset: z.string().regex(CPULIST_RE, 'must be a cpu list such as 16-17,52-53'),
  numa_memory: z.strictObject({
    nodeset: z.string().regex(CPULIST_RE, 'must be a NUMA node list such as 0'),
    mode: z.enum(['strict', 'preferred', 'interleave', 'restrictive']),
  }),
});

/** SpawnSpecSchema is the agent's spawn format: seed 003's fields plus vmpool's own (all optional). */
export const SpawnSpecSchema = z
  .strictObject({
    name: z.string().regex(VM_NAME_RE, 'must be 1-63 letters, digits or dashes, starting alphanumeric'),
    vcpu_count: z.number().int().min(1).max(1024),
    memory_mb: z.number().int().min(64).max(16_777_216),
    disk_path: absPath,
    disk_size_gb: z.number().int().min(1).max(65_536),
    base_image_path: absPath,
    bridge_network_interface: BridgeNameSchema.nullable().optional(),
    cloud_init_iso_path: absPath,
    tuning: TuningSchema,
    user_configs: z.array(UserConfigSchema).max(32),
    // vmpool's own fields
    vm_id: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .optional(),
    vmid: z.number().int().min(1).max(999_999_999).optional(),
    tenant: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .optional(),
    extra_disks: z.array(ExtraDiskSchema).max(24).optional(),
    cpu_mode: z.enum(['default', 'host-model', 'host-passthrough', 'maximum']).optional(),
    /** cpu_policy: dedicated pins own whole threads; shared pins may overlap other shared VMs */
    cpu_policy: z.enum(['dedicated', 'shared']).optional(),
  })
  .refine((s) => s.tuning.vcpu_pins.length === s.vcpu_count, {
    message: 'must list exactly vcpu_count pins',
    path: ['tuning', 'vcpu_pins'],
  });

/** SpawnSpec is a parsed, schema-valid spawn spec (host checks come later, in the agent). */
export type SpawnSpec = z.infer<typeof SpawnSpecSchema>;
/** ExtraDisk is one parsed extra data disk. */
export type ExtraDisk = z.infer<typeof ExtraDiskSchema>;
/** UserConfig is one parsed guest user. */
export type UserConfig = z.infer<typeof UserConfigSchema>;
