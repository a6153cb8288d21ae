import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage, VmpoolError } from '../../shared/errors.js';
import { failpoint } from '../../shared/failpoint.js';
import type { LogFields, Logger } from '../../shared/log.js';
import type { VmReport } from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { VmBackend, VmNetworkPlan } from '../backends/backend.js';
import { VM_DIR_MODE } from '../disk/modes.js';
import { imageVirtualSize } from '../disk/qemu-img.js';
import {
  newSidecar,
  SPAWN_PHASES,
  type Sidecar,
  type SpawnPhase,
  sidecarPathFor,
} from '../sidecar/schema.js';
import { SpawnValidationError } from '../validate/errors.js';
import type { HostView } from '../validate/host-view.js';
import { validateSpawn } from '../validate/validate.js';
import { removeEmptyDir } from './lifecycle.js';
import { reportOf } from './report.js';

/** SpawnContext is per-request data: fields every log line of this spawn or destroy carries. */
export interface SpawnContext {
  logFields?: LogFields;
}

/** SpawnDeps is what one spawn needs of the manager: its backend, VMs, log, metrics and sidecar writes. */
export interface SpawnDeps {
  readonly backend: VmBackend;
  readonly vms: ReadonlyMap<string, Sidecar>;
  readonly log: Logger;
  readonly observeStep?: ((step: string, seconds: number, ok: boolean) => void) | undefined;
  hostView(exceptVmId: string): HostView;
  save(s: Sidecar): Promise<Sidecar>;
  forget(s: Sidecar): Promise<void>;
}

/** spawnVm validates, then runs the backend's create; on any failure everything made so far is undone. */
export async function spawnVm(
  d: SpawnDeps,
  spec: SpawnSpec,
  onStep: (phase: SpawnPhase) => void,
  ctx: SpawnContext,
): Promise<VmReport> {
  const vmId = spec.vm_id ?? randomUUID();
  const log = d.log.child({ vm_id: vmId, vm_name: spec.name, vmid: spec.vmid, ...ctx.logFields });
  log.info('vm spawn received', { vcpu_count: spec.tuning.vcpu_pins.length, memory_mb: spec.memory_mb });
  const existing = d.vms.get(vmId);
  // a repeated spawn of a VM already made (coordinator retry after reconnect) answers with what exists
  if (existing && existing.phase === 'done') return reportOf(existing);
  validateSpawn(spec, d.hostView(vmId));
  await checkUnclaimed(d.backend, spec);
  log.info('vm spawn validated', {
    numa_node: spec.tuning.numa_memory.nodeset,
    pins: spec.tuning.vcpu_pins.join(','),
  });
  await checkDiskSize(spec);
  await makeVmDir(spec);
  failpoint('spawn:accepted');
  const network = await planNetwork(d, spec, vmId);
  let s = await d
    .save({
      ...newSidecar({ ...spec, vm_id: vmId }, { vm_id: vmId, phase: 'accepted', now: Date.now() }),
      ...(network ? { network: { ...network, addresses: [...network.addresses] } } : {}),
    })
    .catch(async (err: unknown) => {
      // no sidecar means nothing to roll back but the folder just made (e.g. ENOSPC on the first write)
      await removeEmptyDir(dirname(spec.disk_path));
      throw err;
    });
  failpoint('spawn:accepted:recorded');
  const started = performance.now();
  let stepStart = started;
  try {
    await d.backend.create(s.spec, {
      vmId,
      ...(network ? { network } : {}),
      from: 'accepted',
      onPhase: async (phase) => {
        s = await d.save({ ...s, phase });
        const seconds = (performance.now() - stepStart) / 1000;
        log.info('vm spawn step done', { step: phase, duration_ms: Math.round(seconds * 1000) });
        d.observeStep?.(phase, seconds, true);
        stepStart = performance.now();
        onStep(phase);
      },
    });
    const made = await d.backend.lookup(spec.name);
    s = await d.save({ ...s, phase: 'done', observed_state: 'running', domain_uuid: made?.uuid ?? null });
    log.info('vm spawned', {
      numa_node: spec.tuning.numa_memory.nodeset,
      pins: spec.tuning.vcpu_pins.join(','),
      duration_ms: Math.round(performance.now() - started),
    });
    return reportOf(s);
  } catch (err) {
    // s.phase is the last step that succeeded: the one that failed is the next
    const failed = SPAWN_PHASES[SPAWN_PHASES.indexOf(s.phase) + 1] ?? s.phase;
    d.observeStep?.(failed, (performance.now() - stepStart) / 1000, false);
    // the coordinator's answer names the failing step (agent/link wireError)
    if (err instanceof Error) Object.assign(err, { step: failed });
    log.error(`vm spawn failed at step ${failed}, rolling back`, { err, step: failed, last_done: s.phase });
    await d.forget(s).catch(async (undoErr: unknown) => {
      // keep it visible as failed (never `creating` forever); the next destroy or recovery retries
      log.error('rollback failed', { err: undoErr });
      const failure = { code: 'rollback_failed', message: errorMessage(undoErr) };
      await d.save({ ...s, observed_state: 'failed', failure }).catch(() => undefined);
    });
    throw err;
  }
}

// 0711: QEMU (libvirt-qemu) must enter the VM's folder; nobody else may list it
async function makeVmDir(spec: SpawnSpec): Promise<void> {
  await mkdir(dirname(spec.disk_path), { recursive: true, mode: VM_DIR_MODE }).catch((err: unknown) => {
    throw new VmpoolError('vm_dir_create_failed', 'Cannot create the VM folder', {
      cause: err,
      retryable: (err as NodeJS.ErrnoException).code === 'ENOSPC',
      details: { errno: (err as NodeJS.ErrnoException).code },
    });
  });
}

/** planNetwork asks the backend for the VM's MAC and SSH forward, avoiding ports other VMs hold. */
async function planNetwork(d: SpawnDeps, spec: SpawnSpec, vmId: string): Promise<VmNetworkPlan | undefined> {
  if (!d.backend.planNetwork) return undefined;
  const taken = new Set(
    [...d.vms.values()].flatMap((s) => (s.network?.ssh_port !== undefined ? [s.network.ssh_port] : [])),
  );
  return d.backend.planNetwork(spec, vmId, taken);
}

/**
 * checkUnclaimed refuses a name the backend already has (maybe a VM vmpool never made) and a disk
 * path whose sidecar survives from another VM (its disk may be lost, but the path is still taken).
 */
async function checkUnclaimed(backend: VmBackend, spec: SpawnSpec): Promise<void> {
  if (await backend.lookup(spec.name)) {
    throw new SpawnValidationError(
      'name_in_use',
      'name',
      'Cannot spawn VM: libvirt already has a domain with this name',
    );
  }
  if (existsSync(sidecarPathFor(spec.disk_path))) {
    throw new SpawnValidationError(
      'path_exists',
      'disk_path',
      'Cannot spawn VM: another VM still records this disk path',
    );
  }
}

/** checkDiskSize refuses a root disk smaller than its base image's virtual size, naming both, before anything is made. */
async function checkDiskSize(spec: SpawnSpec): Promise<void> {
  const bytes = await imageVirtualSize(spec.base_image_path).catch(() => null);
  if (bytes === null || spec.disk_size_gb * 1024 ** 3 >= bytes) return;
  throw new SpawnValidationError(
    'disk_too_small',
    'disk_size_gb',
    `Cannot spawn VM: disk_size_gb ${spec.disk_size_gb} is smaller than the base image (${(bytes / 1024 ** 3).toFixed(2)} GiB)`,
  );
}
