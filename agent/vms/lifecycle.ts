import { rmdir } from 'node:fs/promises';
import { VmpoolError } from '../../shared/errors.js';
import { failpoint } from '../../shared/failpoint.js';
import type { LogFields, Logger } from '../../shared/log.js';
import type { VmReport } from '../../shared/protocol.js';
import type { InstanceState, VmBackend, VmInstance } from '../backends/backend.js';
import type { Sidecar } from '../sidecar/schema.js';
import { reportOf } from './report.js';

/** PowerOp is a day-2 power operation on one VM. */
export type PowerOp = 'stop' | 'start' | 'reboot';

/** VmNotFoundError is a destroy or lookup for a VM this agent does not have. */
export class VmNotFoundError extends VmpoolError {
  constructor(ref: string) {
    super('vm_not_found', `Cannot find VM ${JSON.stringify(ref)} on this node`);
    this.name = 'VmNotFoundError';
  }
}

/** LifecycleDeps is what destroy and power need of the manager. */
export interface LifecycleDeps {
  readonly backend: VmBackend;
  readonly log: Logger;
  save(s: Sidecar): Promise<Sidecar>;
  forget(s: Sidecar, opts?: { keepDisk?: boolean }): Promise<void>;
}

/** destroyVm records the destroy (and whether disks stay), stops the guest (ACPI, then forced) and removes it. */
export async function destroyVm(
  d: LifecycleDeps & { shutdownTimeoutMs: number },
  found: Sidecar,
  opts: { keepDisk?: boolean },
  logFields: LogFields = {},
): Promise<void> {
  // the choice to keep the disk is recorded too, so a crash mid-destroy cannot lose a kept disk
  const s = await d.save({ ...found, desired_state: 'destroyed', keep_disk: opts.keepDisk ?? false });
  failpoint('destroy:recorded');
  // no guest answered ACPI in time: remove() forces it off
  await d.backend.stop(s.name, d.shutdownTimeoutMs);
  failpoint('destroy:stopped');
  await d.forget(s, opts);
  d.log.info('vm destroyed', { vm_id: s.vm_id, vm_name: s.name, vmid: s.spec.vmid, ...logFields });
}

/**
 * powerVm stops (ACPI, then forced after timeoutMs), starts or reboots (stop then start) a VM and
 * records what it wants next, so recovery never restarts a VM an operator stopped.
 */
export async function powerVm(
  d: LifecycleDeps,
  found: Sidecar,
  op: PowerOp,
  timeoutMs: number,
): Promise<VmReport> {
  const b = d.backend;
  let s = await d.save({ ...found, desired_state: op === 'stop' ? 'stopped' : 'running' });
  if (op !== 'start') {
    await b.stop(s.name, timeoutMs);
    // the guest did not answer ACPI in time (a paused guest cannot): force it off, keeping the definition and disks
    const left = (await b.lookup(s.name))?.state;
    if (left === 'running' || left === 'paused') await b.powerOff(s.name);
  }
  // start boots a stopped VM and resumes a paused one
  if (op !== 'stop' && (await b.lookup(s.name))?.state !== 'running') await b.start(s.name);
  s = await d.save(withObserved(s, (await b.lookup(s.name)) ?? undefined));
  d.log.info('vm power changed', { vm_id: s.vm_id, vm_name: s.name, op, state: s.observed_state });
  return reportOf(s);
}

/** observedOf maps an instance state (or its absence) to a sidecar's observed state. */
export function observedOf(state: InstanceState | undefined): Sidecar['observed_state'] {
  return state ?? 'unknown';
}

/** withObserved records what the backend shows of the instance: its state and, when paused, why. */
export function withObserved(s: Sidecar, inst: VmInstance | undefined): Sidecar {
  const { observed_reason: _was, ...rest } = s;
  const state = observedOf(inst?.state);
  const reason = state === 'paused' ? inst?.reason : undefined;
  return { ...rest, observed_state: state, ...(reason ? { observed_reason: reason } : {}) };
}

/** removeEmptyDir drops the VM's folder when the spawn made it and nothing else lives there. */
export async function removeEmptyDir(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
}
