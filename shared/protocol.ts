import { z } from 'zod';
import { BridgeNameSchema } from './bridge-name.js';
import { UserConfigSchema, VM_NAME_RE } from './spec.js';

/**
 * PROTOCOL_VERSION is the agent-link version this build speaks; hello and welcome carry it. Version 2
 * adds the small `beat` (a digest of the VM list instead of the list) and the coordinator's `resync`.
 */
export const PROTOCOL_VERSION = 2;

/** SUPPORTED_PROTOCOL_VERSIONS are the hello versions a coordinator accepts (1: full heartbeats only). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1, 2];

/** DIGEST_RE is the shape of a VM-list digest: sha256 in lowercase hex (shared/beat.ts vmsDigest). */
export const DIGEST_RE = /^[0-9a-f]{64}$/;

/** MAX_STATS_VMS bounds how many VMs' figures one beat may carry. */
export const MAX_STATS_VMS = 1024;

const ThreadSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  core_id: z.number().int().nonnegative(),
  socket_id: z.number().int().nonnegative(),
  siblings: z.array(z.number().int().nonnegative()),
});

/** TopologySchema is HostTopology (shared/topology.ts) on the wire. */
export const TopologySchema = z.strictObject({
  hostname: z.string().max(255),
  kvm: z.boolean(),
  kvm_reason: z.string().max(500).optional(),
  cpu_model: z.string().max(255),
  sockets: z.number().int().nonnegative(),
  cores_per_socket: z.number().int().nonnegative(),
  threads_per_core: z.number().int().nonnegative(),
  memory_mb: z.number().nonnegative(),
  numa_nodes: z
    .array(
      z.strictObject({
        id: z.number().int().nonnegative(),
        memory_mb: z.number().nonnegative(),
        free_memory_mb: z.number().nonnegative(),
        cpus: z.array(ThreadSchema),
      }),
    )
    .max(1024),
  offline_cpus: z.array(z.number().int().nonnegative()),
});

/** VmStateSchema is a VM's observed state as an agent reports it. */
export const VmStateSchema = z.enum([
  'creating',
  'running',
  'paused',
  'stopped',
  'failed',
  'lost',
  'unknown',
]);

/** VmNetworkSchema is how to reach a VM: MAC, guest addresses and SSH (a 127.0.0.1 forward or the guest's own address). */
export const VmNetworkSchema = z.strictObject({
  mac: z.string().max(17),
  addresses: z.array(z.string().max(64)).max(16),
  /** addresses_source says who found the addresses: the guest agent, DHCP leases, ARP, or the user network's fixed plan */
  addresses_source: z.enum(['agent', 'lease', 'arp', 'plan']).optional(),
  ssh: z.strictObject({ host: z.string().max(64), port: z.number().int().min(1).max(65_535) }).nullable(),
});

/** GuestStatusSchema is how far a running VM's guest got: booting, ready (agent up, cloud-init done) or unready (code says why). */
export const GuestStatusSchema = z.strictObject({
  state: z.enum(['booting', 'ready', 'unready']),
  code: z.enum(['guest_ready_timeout', 'cloud_init_failed']).optional(),
});

/** VmReportSchema is one VM as the agent knows it (from its sidecar and libvirt). */
export const VmReportSchema = z.strictObject({
  vm_id: z.string().max(64),
  name: z.string().max(64),
  vmid: z.number().int().optional(),
  tenant: z.string().max(64).optional(),
  state: VmStateSchema,
  /** state_reason says why a `paused` VM is paused (user, ioerror, watchdog, …); absent in other states */
  state_reason: z.string().max(32).optional(),
  numa_node: z.number().int().nonnegative().nullable(),
  vcpu_pins: z.array(z.number().int().nonnegative()),
  emulator_cpuset: z.array(z.number().int().nonnegative()),
  memory_mb: z.number().int().nonnegative(),
  vcpu_count: z.number().int().nonnegative(),
  cpu_policy: z.enum(['dedicated', 'shared']),
  domain_uuid: z.string().max(64).nullable(),
  failure: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  network: VmNetworkSchema.optional(),
  /** guest is the guest's readiness while the agent follows it (absent when it cannot ask the guest) */
  guest: GuestStatusSchema.optional(),
});

/** TuningCheckSchema is one host tuning check (agent/tuning): ok null = not applicable here. */
export const TuningCheckSchema = z.strictObject({
  name: z.enum(['cpu_governor', 'numa_balancing', 'thp_enabled', 'thp_defrag']),
  value: z.string().max(200).nullable(),
  recommended: z.string().max(64),
  ok: z.boolean().nullable(),
  note: z.string().max(500),
});

/** VM_STAT_KEYS are the per-VM figures a heartbeat may carry. */
export const VM_STAT_KEYS = [
  'state.state',
  'cpu.time',
  'vcpu.current',
  'balloon.current',
  'balloon.rss',
  /** vcpu.wait: ns the vCPUs waited for a host thread, summed over vCPUs (vcpu.N.wait) */
  'vcpu.wait',
] as const;

/** VmStatsSchema is one VM's figures: finite numbers under VM_STAT_KEYS only. */
export const VmStatsSchema = z.strictObject(
  Object.fromEntries(VM_STAT_KEYS.map((k) => [k, z.number().finite().optional()])) as Record<
    (typeof VM_STAT_KEYS)[number],
    z.ZodOptional<z.ZodNumber>
  >,
);

/** NODE_SECRET_RE is the shape of a per-node credential the coordinator issues at enrolment. */
export const NODE_SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

/** NODE_ID_RE is the shape of a node id. */
export const NODE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** ImageInfoSchema is one base image's facts: virtual size (bytes), format and sha256 of the file. */
export const ImageInfoSchema = z.strictObject({
  virtual_size: z.number().int().nonnegative(),
  format: z.string().max(32),
  /** sha256 is null while the agent is still computing it (big files: the next beat brings it) */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
});

/** ImageInfoMapSchema maps base image names to their facts. */
export const ImageInfoMapSchema = z.record(z.string().max(128), ImageInfoSchema);

const WireErrorSchema = z.strictObject({ code: z.string().max(100), message: z.string().max(4000) });

/** HelloSchema is the agent's first message: identity, capabilities, topology and recovered VMs. */
export const HelloSchema = z.strictObject({
  type: z.literal('hello'),
  v: z.number().int(),
  node_id: z.string().regex(NODE_ID_RE),
  boot_id: z.string().max(64),
  reserved: z.boolean(),
  kvm: z.boolean(),
  topology: TopologySchema,
  host_reserved_cpus: z.array(z.number().int().nonnegative()),
  host_reserved_memory_mb: z.number().int().nonnegative(),
  vms: z.array(VmReportSchema),
  agent_version: z.string().max(64),
  /** images_dir is where the agent keeps disks; the coordinator builds spec paths under it */
  images_dir: z.string().max(4096),
  /** images are the base image names available under images_dir/base (without .qcow2) */
  images: z.array(z.string().max(128)).max(1024),
  /** tuning is the seed-003 host tuning checks (governor, numa_balancing, THP); older agents omit it */
  tuning: z.array(TuningCheckSchema).max(16).optional(),
  /** image_sizes are the base images' virtual sizes in bytes, so a too-small disk is refused up front */
  image_sizes: z.record(z.string().max(128), z.number().int().nonnegative()).optional(),
  /** vms_digest (v2) is vmsDigest(vms): later small beats say "still this list" by sending it alone */
  vms_digest: z.string().regex(DIGEST_RE).optional(),
  /** image_info: virtual size, format and checksum per base image (newer agents) */
  image_info: ImageInfoMapSchema.optional(),
});

const FreeMemorySchema = z.strictObject({
  numa_node: z.number().int().nonnegative(),
  free_memory_mb: z.number().nonnegative(),
});

/** StatsSchema is per-VM figures keyed by VM id, bounded to MAX_STATS_VMS VMs. */
const StatsSchema = z
  .record(z.string().max(64), VmStatsSchema)
  .refine((s) => Object.keys(s).length <= MAX_STATS_VMS, { message: `more than ${MAX_STATS_VMS} VMs` });

/** HeartbeatSchema carries the node's live state; only the latest one matters. */
export const HeartbeatSchema = z.strictObject({
  type: z.literal('heartbeat'),
  seq: z.number().int().nonnegative(),
  free_memory_mb: z.array(z.strictObject({ numa_node: z.number().int(), free_memory_mb: z.number() })),
  vms: z.array(VmReportSchema),
  /** stats are numbers only, from a fixed key set, per VM id (a node cannot show a tenant arbitrary text) */
  stats: StatsSchema.optional(),
  /** images is the node's base image list, sent only when it changed since the hello or last beat */
  images: z.array(z.string().max(128)).max(1024).optional(),
  /** image_info is every base image's facts, sent only when they changed since the hello or last beat */
  image_info: ImageInfoMapSchema.optional(),
  /** digest (v2) is vmsDigest(vms); the coordinator keeps the list under it for later small beats */
  digest: z.string().regex(DIGEST_RE).optional(),
});

/**
 * BeatSchema (v2) is the small heartbeat: the VM list is unchanged since the full one whose digest
 * it repeats. Stats ride along only when sampled. The coordinator checks it with a hand-written
 * check that a property test holds to this schema (shared/beat.ts); this is its specification.
 */
export const BeatSchema = z.strictObject({
  type: z.literal('beat'),
  seq: z.number().int().nonnegative(),
  digest: z.string().regex(DIGEST_RE),
  free_memory_mb: z.array(FreeMemorySchema).max(1024),
  stats: StatsSchema.optional(),
});

/** SpawnResultSchema answers a spawn: the running VM, or the error with its stable code. */
export const SpawnResultSchema = z.strictObject({
  type: z.literal('spawn_result'),
  request_id: z.string().max(64),
  ok: z.boolean(),
  vm: VmReportSchema.optional(),
  error: WireErrorSchema.optional(),
});

/** DestroyResultSchema answers a destroy. */
export const DestroyResultSchema = z.strictObject({
  type: z.literal('destroy_result'),
  request_id: z.string().max(64),
  ok: z.boolean(),
  error: WireErrorSchema.optional(),
});

/** PowerResultSchema answers a power order: the VM as it now is, or the error. */
export const PowerResultSchema = z.strictObject({
  type: z.literal('power_result'),
  request_id: z.string().max(64),
  ok: z.boolean(),
  vm: VmReportSchema.optional(),
  error: WireErrorSchema.optional(),
});

/** ResizeResultSchema answers a resize order: the VM with its new shape, or the error. */
export const ResizeResultSchema = z.strictObject({
  type: z.literal('resize_result'),
  request_id: z.string().max(64),
  ok: z.boolean(),
  vm: VmReportSchema.optional(),
  error: WireErrorSchema.optional(),
});

/** ConsoleLogResultSchema answers a console_log: the tail of the VM's serial console log. */
export const ConsoleLogResultSchema = z.strictObject({
  type: z.literal('console_log_result'),
  request_id: z.string().max(64),
  ok: z.boolean(),
  text: z.string().max(1_048_576).optional(),
  error: WireErrorSchema.optional(),
});

/** AgentMessageSchema is every message an agent may send. */
export const AgentMessageSchema = z.discriminatedUnion('type', [
  HelloSchema,
  HeartbeatSchema,
  BeatSchema,
  SpawnResultSchema,
  DestroyResultSchema,
  PowerResultSchema,
  ConsoleLogResultSchema,
  ResizeResultSchema,
]);

/** WelcomeSchema accepts a hello and sets the heartbeat interval. */
export const WelcomeSchema = z.strictObject({
  type: z.literal('welcome'),
  v: z.number().int(),
  node_id: z.string(),
  heartbeat_interval_ms: z.number().int().positive(),
  /** node_secret is issued once, at enrolment: the agent keeps it and proves its node id with it */
  node_secret: z.string().regex(NODE_SECRET_RE).optional(),
});

/** IntervalSchema changes the heartbeat interval as the fleet grows or shrinks. */
export const IntervalSchema = z.strictObject({
  type: z.literal('interval'),
  heartbeat_interval_ms: z.number().int().positive(),
});

const cpuId = z.number().int().nonnegative().max(65_535);

/**
 * SpawnOrderSchema is what the coordinator decided for one VM: identity, image, sizes, placement,
 * users and network. It carries no host paths: the agent lays the VM's files out under its own
 * images dir (vms/<vm_id>/root.qcow2, seed.iso, dataN.qcow2; base/<image>.qcow2).
 */
export const SpawnOrderSchema = z.strictObject({
  vm_id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  vmid: z.number().int().min(1).max(999_999_999),
  tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  /** name is the VM's name on the node (tenant-name), used for the domain and the guest hostname */
  name: z.string().regex(VM_NAME_RE),
  /** image is a base image name from the agent's hello (without .qcow2) */
  image: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  vcpu_count: z.number().int().min(1).max(1024),
  memory_mb: z.number().int().min(64).max(16_777_216),
  disk_size_gb: z.number().int().min(1).max(65_536),
  extra_disks: z.array(z.strictObject({ size_gb: z.number().int().min(1).max(65_536) })).max(24),
  /** vcpu_pins[i] is the host thread vCPU i runs on */
  vcpu_pins: z.array(cpuId).min(1).max(1024),
  emulator_cpuset: z.array(cpuId).min(1).max(65_536),
  /** numa_node holds the VM's memory (strict binding) */
  numa_node: z.number().int().nonnegative().max(1023),
  cpu_policy: z.enum(['dedicated', 'shared']),
  cpu_mode: z.enum(['default', 'host-model', 'host-passthrough', 'maximum']).optional(),
  users: z.array(UserConfigSchema).max(32),
  /** bridge is the host bridge for the NIC; null lets the agent's own network setting decide */
  bridge: BridgeNameSchema.nullable(),
});

/** SpawnSchema asks the agent to create and start a VM the coordinator has placed. */
export const SpawnSchema = z.strictObject({
  type: z.literal('spawn'),
  /** request_id correlates this one attempt's answer; a retry gets a new one */
  request_id: z.string().max(64),
  /** trace_id is the API request's id (the client's x-request-id), logged as REQUEST_ID on both sides */
  trace_id: z.string().max(64).optional(),
  vm: SpawnOrderSchema,
});

/** DestroySchema asks the agent to stop and remove a VM. */
export const DestroySchema = z.strictObject({
  type: z.literal('destroy'),
  request_id: z.string().max(64),
  /** trace_id is the API request's id, logged as REQUEST_ID on both sides */
  trace_id: z.string().max(64).optional(),
  vm_id: z.string().max(64),
  keep_disk: z.boolean().optional(),
});

/** RemoveDisksSchema asks the agent to delete the disks a destroy with keep_disk left (answered by destroy_result). */
export const RemoveDisksSchema = z.strictObject({
  type: z.literal('remove_disks'),
  request_id: z.string().max(64),
  vm_id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
});

/** PowerSchema asks the agent to stop (ACPI, forced after timeout_ms), start or reboot a VM. */
export const PowerSchema = z.strictObject({
  type: z.literal('power'),
  request_id: z.string().max(64),
  vm_id: z.string().max(64),
  op: z.enum(['stop', 'start', 'reboot']),
  timeout_ms: z.number().int().min(0).max(3_600_000),
});

/**
 * ResizeSchema asks the agent to reshape a stopped VM: new vCPU count and memory with the pins the
 * coordinator's placement chose on this node, and a root disk grown (never shrunk) to disk_size_gb.
 */
export const ResizeSchema = z.strictObject({
  type: z.literal('resize'),
  request_id: z.string().max(64),
  /** trace_id is the API request's id, logged as REQUEST_ID on both sides */
  trace_id: z.string().max(64).optional(),
  vm_id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  vcpu_count: z.number().int().min(1).max(1024),
  memory_mb: z.number().int().min(64).max(16_777_216),
  disk_size_gb: z.number().int().min(1).max(65_536),
  vcpu_pins: z.array(cpuId).min(1).max(1024),
  emulator_cpuset: z.array(cpuId).min(1).max(65_536),
  numa_node: z.number().int().nonnegative().max(1023),
});

/** ConsoleLogSchema asks the agent for the last max_bytes of a VM's serial console log. */
export const ConsoleLogSchema = z.strictObject({
  type: z.literal('console_log'),
  request_id: z.string().max(64),
  vm_id: z.string().max(64),
  max_bytes: z.number().int().min(1).max(1_048_576),
});

/** ResyncSchema (v2) asks the agent to send its full VM list: a beat's digest did not match the last one. */
export const ResyncSchema = z.strictObject({ type: z.literal('resync') });

/** CoordinatorMessageSchema is every message the coordinator may send. */
export const CoordinatorMessageSchema = z.discriminatedUnion('type', [
  WelcomeSchema,
  ResyncSchema,
  IntervalSchema,
  SpawnSchema,
  DestroySchema,
  RemoveDisksSchema,
  PowerSchema,
  ConsoleLogSchema,
  ResizeSchema,
]);

/** SpawnOrder is one placed VM as the coordinator sends it. */
export type SpawnOrder = z.infer<typeof SpawnOrderSchema>;
/** GuestStatusReport is a guest's readiness as an agent reports it. */
export type GuestStatusReport = z.infer<typeof GuestStatusSchema>;
/** VmNetwork is how to reach a VM. */
export type VmNetwork = z.infer<typeof VmNetworkSchema>;
/** VmReport is one VM as reported by an agent. */
export type VmReport = z.infer<typeof VmReportSchema>;
/** ImageInfo is one base image's virtual size, format and checksum. */
export type ImageInfo = z.infer<typeof ImageInfoSchema>;
/** Hello is the agent's opening message. */
export type Hello = z.infer<typeof HelloSchema>;
/** Heartbeat is a periodic live-state report with the full VM list. */
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
/** Beat is the small heartbeat (v2): the VM list's digest instead of the list. */
export type Beat = z.infer<typeof BeatSchema>;
/** AgentMessage is any agent → coordinator message. */
export type AgentMessage = z.infer<typeof AgentMessageSchema>;
/** CoordinatorMessage is any coordinator → agent message. */
export type CoordinatorMessage = z.infer<typeof CoordinatorMessageSchema>;

/** CLOSE_CODES are the WebSocket close codes the link uses (4000-4999 is the application range). */
export const CLOSE_CODES = {
  unauthorized: 4001,
  badMessage: 4002,
  versionMismatch: 4003,
  nodeIdInUse: 4009,
  shuttingDown: 4010,
  /** a newer, authenticated connection of the same node replaced this one */
  displaced: 4011,
} as const;

/** NODE_AUTH_SCHEME is the Authorization scheme of an enrolled node: `VmpoolNode <node_id>:<secret>`. */
export const NODE_AUTH_SCHEME = 'VmpoolNode';
