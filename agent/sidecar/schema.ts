import path from 'node:path';
import { z } from 'zod';
import { SpawnSpecSchema, VM_NAME_RE, type SpawnSpec } from '../../shared/spec.js';

/** SIDECAR_SCHEMA_VERSION is the only sidecar layout this agent reads and writes. */
export const SIDECAR_SCHEMA_VERSION = 1;
/** SIDECAR_SUFFIX is appended to the disk file name to name its sidecar. */
export const SIDECAR_SUFFIX = '.vmpool.json';

/** SPAWN_PHASES lists spawn steps in the order they complete; recovery compares positions. */
export const SPAWN_PHASES = [
  // accepted: the sidecar is written before anything else, so recovery can always find a half-done spawn
  'accepted',
  'overlay',
  'extra_disks',
  'seed_iso',
  'defined',
  'started',
  'verified',
  'done',
] as const;
/** SpawnPhase is the last spawn step a sidecar records as completed. */
export type SpawnPhase = (typeof SPAWN_PHASES)[number];

/** SidecarSchema validates a sidecar file's content (schema_version 1). */
export const SidecarSchema = z.strictObject({
  schema_version: z.literal(SIDECAR_SCHEMA_VERSION),
  vm_id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  name: z.string().regex(VM_NAME_RE),
  vmid: z.number().int().min(1).optional(),
  tenant: z.string().min(1).max(63).optional(),
  spec: SpawnSpecSchema,
  domain_uuid: z
    .string()
    .regex(/^[0-9a-fA-F-]{32,36}$/)
    .nullable(),
  desired_state: z.enum(['running', 'stopped', 'destroyed']),
  /** keep_disk: a destroy in progress was asked to keep the disk images */
  keep_disk: z.boolean().optional(),
  /** network: the VM's MAC, addresses and loopback SSH forward port, chosen before the domain is defined */
  network: z
    .strictObject({
      mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
      addresses: z.array(z.string().max(64)).max(16),
      ssh_port: z.number().int().min(1).max(65_535).optional(),
    })
    .optional(),
  /** resizing: a resize recorded its new spec and may not have redefined the instance yet (recovery finishes it) */
  resizing: z.boolean().optional(),
  observed_state: z.enum(['creating', 'running', 'paused', 'stopped', 'failed', 'lost', 'unknown']),
  /** observed_reason: why a `paused` instance is paused (user, ioerror, …); meaningless in other states */
  observed_reason: z.string().max(32).optional(),
  phase: z.enum(SPAWN_PHASES),
  failure: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  generation: z.number().int().min(0),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

/** Sidecar is one VM's persisted agent-side state. */
export type Sidecar = z.infer<typeof SidecarSchema>;

/** sidecarPathFor names the sidecar beside a disk: `<dir>/<disk file name>.vmpool.json`. */
export function sidecarPathFor(diskPath: string): string {
  return path.join(path.dirname(diskPath), `${path.basename(diskPath)}${SIDECAR_SUFFIX}`);
}

/** phaseReached tells whether `phase` is at or past `step` in spawn order. */
export function phaseReached(phase: SpawnPhase, step: SpawnPhase): boolean {
  return SPAWN_PHASES.indexOf(phase) >= SPAWN_PHASES.indexOf(step);
}

/** newSidecar builds the generation-0 sidecar for a spawn that has just completed `phase`. */
export function newSidecar(
  spec: SpawnSpec,
  opts: { vm_id: string; phase: SpawnPhase; now: number; desired_state?: Sidecar['desired_state'] },
): Sidecar {
  const at = new Date(opts.now).toISOString();
  return {
    schema_version: SIDECAR_SCHEMA_VERSION,
    vm_id: opts.vm_id,
    name: spec.name,
    ...(spec.vmid === undefined ? {} : { vmid: spec.vmid }),
    ...(spec.tenant === undefined ? {} : { tenant: spec.tenant }),
    spec,
    domain_uuid: null,
    desired_state: opts.desired_state ?? 'running',
    observed_state: 'creating',
    phase: opts.phase,
    generation: 0,
    created_at: at,
    updated_at: at,
  };
}
