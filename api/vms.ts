import { z } from 'zod';
import { BridgeNameSchema } from '../shared/bridge-name.js';
import { UserConfigSchema } from '../shared/spec.js';
import { BooleanQuerySchema, IdParamSchema, limitQuerySchema } from './query.js';
import { VM_PAGE_DEFAULT, VM_PAGE_MAX } from './paging.js';

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
      bridge: BridgeNameSchema.nullable(),
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
  /** wait_for `ready` holds the answer until the guest is ready (agent up, cloud-init done), at most ready_timeout_s */
  wait_for: z.enum(['running', 'ready']).optional(),
  /** ready_timeout_s bounds a `ready` wait (default 600); past it the answer is 504 guest_not_ready, the VM stays */
  ready_timeout_s: z.number().int().min(1).max(3600).optional(),
});

/** CreateVmRequest is a validated create body with defaults applied. */
export type CreateVmRequest = z.infer<typeof CreateVmSchema>;

/** CreateVmBody is what a client sends to POST /v1/vms: defaulted fields may be left out. */
export type CreateVmBody = z.input<typeof CreateVmSchema>;

/** CreateVmQuerySchema is POST /v1/vms's query: `wait=false` answers 202 once the claim is durable. */
export const CreateVmQuerySchema = z.strictObject({ wait: BooleanQuerySchema.default(true) });

/** DestroyVmQuerySchema is DELETE /v1/vms/{id}'s query: `keep_disk=true` leaves the disks on the node. */
export const DestroyVmQuerySchema = z.strictObject({ keep_disk: BooleanQuerySchema.default(false) });

export { VM_PAGE_DEFAULT, VM_PAGE_MAX } from './paging.js';

/**
 * ListVmsQuerySchema filters GET /v1/vms: every given field must match (state is the shown state).
 * `limit` is the page size; `cursor` is the previous page's opaque `next_cursor` (a bad one is 422
 * invalid_cursor).
 */
export const ListVmsQuerySchema = z.strictObject({
  limit: limitQuerySchema(VM_PAGE_MAX, VM_PAGE_DEFAULT),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,600}$/, 'must be a next_cursor from a previous page')
    .optional(),
  node: IdParamSchema.optional(),
  tenant: IdParamSchema.optional(),
  state: z.enum(['creating', 'running', 'paused', 'stopped', 'failed', 'lost', 'unknown']).optional(),
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/)
    .optional(),
});

/** VmListQuery is what a client may filter GET /v1/vms by. */
export type VmListQuery = Partial<Record<'node' | 'tenant' | 'state' | 'tag', string | undefined>>;

/** VmPageQuery is one page of GET /v1/vms: the filter, a page size and where the last page ended. */
export type VmPageQuery = VmListQuery & { limit?: number | undefined; cursor?: string | undefined };

/** ConsoleLogQuerySchema is GET /v1/vms/{id}/console-log's query: how many trailing bytes (default 64 KiB). */
export const ConsoleLogQuerySchema = z.strictObject({ bytes: limitQuerySchema(1_048_576, 65_536) });

/** ConsoleLog is GET /v1/vms/{id}/console-log: the tail of the VM's serial console. */
export interface ConsoleLog {
  vm_id: string;
  text: string;
}

/** VmIdParamSchema is the `{id}` of /v1/vms/{id}. */
export const VmIdParamSchema = z.strictObject({ id: IdParamSchema });

/** VmNetworkView is how to reach a VM; on user networking `ssh` is a 127.0.0.1 forward on its node. */
export interface VmNetworkView {
  mac: string;
  addresses: string[];
  /** addresses_source: who found the addresses (guest agent, DHCP lease, ARP, or the user network's plan) */
  addresses_source?: 'agent' | 'lease' | 'arp' | 'plan';
  ssh: { host: string; port: number } | null;
}

/** GuestView is how far the guest got: `ready` = its guest agent answers and cloud-init finished. */
export interface GuestView {
  state: 'booting' | 'ready' | 'unready';
  /** code says why a guest is unready: guest_ready_timeout or cloud_init_failed */
  code?: string;
}

/** VmView is a VM as the API shows it: the record plus node, NUMA node, pins and the live state. */
export interface VmView {
  id: string;
  name: string;
  domain_name: string;
  tenant: string;
  vmid: number;
  band: string | null;
  tags: string[];
  state: string;
  /** state_reason says why a `paused` VM is paused (user, ioerror, watchdog, …); absent otherwise */
  state_reason?: string;
  node_id: string | null;
  numa_node: number | null;
  vcpu_count: number | null;
  memory_mb: number | null;
  vcpu_pins: number[];
  emulator_cpuset: number[];
  memory_nodeset: string | null;
  cpu_policy: string | null;
  placement_pass: number | null;
  /** disk_size_gb is the root disk's size in GiB (a resize may have grown it) */
  disk_size_gb: number | null;
  /** stats are the node's latest live figures for this VM (from heartbeats; null when none yet) */
  stats: Record<string, number | string | boolean> | null;
  /** network is how to reach the VM: MAC, guest addresses, SSH host and port (null until the node says) */
  network: VmNetworkView | null;
  /** guest is the guest's readiness (null until its node says; nodes that cannot ask guests never do) */
  guest: GuestView | null;
  created_at: string;
  updated_at: string;
}

/** VmList is GET /v1/vms: one page, oldest first; `next_cursor` fetches the next (null on the last page). */
export interface VmList {
  vms: VmView[];
  next_cursor: string | null;
}

/** ImageRow is one base image in GET /v1/images: facts the nodes report and, for the admin, which nodes. */
export interface ImageRow {
  name: string;
  nodes: number;
  /** virtual_size (bytes), format and sha256; null until a node reports them */
  virtual_size: number | null;
  format: string | null;
  sha256: string | null;
  /** checksums_agree is false when two nodes hold different files under this name */
  checksums_agree: boolean;
  node_ids?: string[];
}

/** vmStateText is a VM's state as people read it: `paused (ioerror)` when a paused VM says why. */
export function vmStateText(v: Pick<VmView, 'state' | 'state_reason'>): string {
  return v.state_reason ? `${v.state} (${v.state_reason})` : v.state;
}
