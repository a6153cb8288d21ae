import { basename } from 'node:path';
import { z } from 'zod';
import type { OptionSpec } from '../shared/config.js';
import { UserConfigSchema } from '../shared/spec.js';
import { CreateVmSchema } from '../api/index.js';
import { intFlag, requiredInt, requiredString, stringFlag } from './args.js';
import { CtlError } from './errors.js';

/** SPAWN_OPTIONS are the flags of `spawn` and `dry-run` (--tag and --ssh-key may repeat). */
export const SPAWN_OPTIONS: readonly OptionSpec[] = [
  { flag: 'spec', type: 'string', help: 'seed-003 spec JSON file instead of the VM flags below' },
  { flag: 'name', type: 'string', help: 'VM name (1-40 lowercase letters, digits or dashes)' },
  { flag: 'vcpus', type: 'string', help: 'vCPU count' },
  { flag: 'memory-mb', type: 'string', help: 'memory in MiB' },
  { flag: 'disk-gb', type: 'string', help: 'root disk size in GiB' },
  { flag: 'image', type: 'string', help: 'base image name (e.g. debian-12)' },
  { flag: 'ssh-key', type: 'string', help: 'OpenSSH public key for --user (repeatable)' },
  { flag: 'user', type: 'string', help: 'guest user for --ssh-key (default admin)' },
  { flag: 'bridge', type: 'string', help: 'host bridge for the NIC (e.g. br0)' },
  { flag: 'cpu-policy', type: 'string', help: 'dedicated (default) or shared' },
  { flag: 'requires-kvm', type: 'boolean', help: 'only place on nodes with KVM' },
  { flag: 'no-reserved', type: 'boolean', help: 'never widen to reserved nodes (skip pass 2)' },
  { flag: 'anti-affinity', type: 'string', help: 'anti-affinity group: members go to different nodes' },
  { flag: 'band', type: 'string', help: 'VMID band to allocate from' },
  { flag: 'vmid', type: 'string', help: 'exact VMID (instead of --band)' },
  { flag: 'tag', type: 'string', help: 'tag (repeatable)' },
];

/** SPEC_ONLY_FLAGS describe the VM itself, so they conflict with --spec. */
const SPEC_ONLY_FLAGS = ['name', 'vcpus', 'memory-mb', 'disk-gb', 'image', 'user', 'bridge'] as const;

/** CreateBody is the JSON sent to POST /v1/vms and /v1/placements/dry-run. */
export type CreateBody = Record<string, unknown>;

/** bodyFromFlags maps the VM flags to a create body. */
export function bodyFromFlags(values: Record<string, unknown>, sshKeys: readonly string[]): CreateBody {
  const user = stringFlag(values, 'user');
  const bridge = stringFlag(values, 'bridge');
  return {
    name: requiredString(values, 'name'),
    vcpu_count: requiredInt(values, 'vcpus'),
    memory_mb: requiredInt(values, 'memory-mb'),
    disk_size_gb: requiredInt(values, 'disk-gb'),
    image: requiredString(values, 'image'),
    user_configs:
      sshKeys.length || user ? [{ username: user ?? 'admin', ssh_authorized_keys: [...sshKeys] }] : [],
    ...(bridge ? { network: { bridge } } : {}),
  };
}

/** withPlacementFlags adds placement, VMID and tag flags to a body from flags or from a spec. */
export function withPlacementFlags(
  body: CreateBody,
  values: Record<string, unknown>,
  tags: readonly string[],
): CreateBody {
  const band = stringFlag(values, 'band');
  const vmid = intFlag(values, 'vmid');
  if (band !== undefined && vmid !== undefined)
    throw new CtlError('usage', 'Cannot run command: give --band or --vmid, not both');
  const policy = stringFlag(values, 'cpu-policy');
  if (policy !== undefined && policy !== 'dedicated' && policy !== 'shared') {
    throw new CtlError(
      'usage',
      `Cannot read --cpu-policy: expected dedicated or shared, got ${JSON.stringify(policy)}`,
    );
  }
  const group = stringFlag(values, 'anti-affinity');
  const { vmid: specVmid, placement: specPlacement, ...rest } = body;
  const prior = (specPlacement ?? {}) as Record<string, unknown>;
  // an explicit --band overrides a vmid from the spec file; the API takes one or the other
  const finalVmid = vmid ?? (band === undefined ? specVmid : undefined);
  return {
    ...rest,
    placement: {
      cpu_policy: policy ?? prior.cpu_policy ?? 'dedicated',
      requires_kvm: values['requires-kvm'] === true,
      allow_reserved: values['no-reserved'] !== true,
      ...(group ? { anti_affinity_group: group } : {}),
    },
    ...(band !== undefined ? { vmid_band: band } : {}),
    ...(finalVmid !== undefined ? { vmid: finalVmid } : {}),
    ...(tags.length ? { tags: [...tags] } : {}),
  };
}

/** rejectFlagsWithSpec refuses VM flags next to --spec: the file is the single source of the VM. */
export function rejectFlagsWithSpec(values: Record<string, unknown>, sshKeys: readonly string[]): void {
  const given = SPEC_ONLY_FLAGS.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
  if (sshKeys.length) given.push('--ssh-key');
  if (given.length)
    throw new CtlError(
      'usage',
      `Cannot combine --spec with ${given.join(', ')}: the spec file describes the VM`,
    );
}

/** SeedSpecSchema is the part of a seed-003 spec vmpoolctl reads; tuning and paths are allowed but ignored. */
const SeedSpecSchema = z.looseObject({
  name: z.string().min(1),
  vcpu_count: z.number().int(),
  memory_mb: z.number().int(),
  disk_size_gb: z.number().int(),
  base_image_path: z.string().min(1),
  bridge_network_interface: z.string().nullable().optional(),
  user_configs: z.array(UserConfigSchema).default([]),
  extra_disks: z.array(z.looseObject({ size_gb: z.number().int() })).optional(),
  vmid: z.number().int().optional(),
  cpu_policy: z.enum(['dedicated', 'shared']).optional(),
  cpu_mode: z.enum(['default', 'host-model', 'host-passthrough', 'maximum']).optional(),
});

/** SPEC_PIN_NOTE tells the user why the spec's tuning block is not sent. */
export const SPEC_PIN_NOTE =
  "note: the spec file's tuning (vcpu_pins, emulator_cpuset, numa_memory) and paths are ignored; pins come from placement";

/** bodyFromSpec maps a parsed seed-003 spec JSON to a create body; `source` names the file in errors. */
export function bodyFromSpec(json: unknown, source: string): CreateBody {
  const r = SeedSpecSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new CtlError(
      'usage',
      `Cannot read spec ${source}: ${i?.path.join('.') || '(root)'} ${i?.message ?? 'invalid'}`,
    );
  }
  const s = r.data;
  const name = s.name.toLowerCase();
  const nameCheck = CreateVmSchema.shape.name.safeParse(name);
  if (!nameCheck.success) {
    throw new CtlError(
      'usage',
      `Cannot read spec ${source}: name ${JSON.stringify(name)} must be 1-40 lowercase letters, digits or dashes`,
    );
  }
  return {
    name,
    vcpu_count: s.vcpu_count,
    memory_mb: s.memory_mb,
    disk_size_gb: s.disk_size_gb,
    image: imageName(s.base_image_path),
    user_configs: s.user_configs,
    ...(s.bridge_network_interface !== undefined ? { network: { bridge: s.bridge_network_interface } } : {}),
    ...(s.extra_disks?.length ? { extra_disks: s.extra_disks.map((d) => ({ size_gb: d.size_gb })) } : {}),
    ...(s.vmid !== undefined ? { vmid: s.vmid } : {}),
    ...(s.cpu_mode !== undefined ? { cpu_mode: s.cpu_mode } : {}),
    ...(s.cpu_policy !== undefined ? { placement: { cpu_policy: s.cpu_policy } } : {}),
  };
}

/** imageName is the base image's file name without .qcow2: the coordinator resolves it per node. */
export function imageName(baseImagePath: string): string {
  return basename(baseImagePath).replace(/\.qcow2$/i, '');
}
