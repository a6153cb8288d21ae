import { formatCpuList } from '../../shared/cpulist.js';
import { VmpoolError } from '../../shared/errors.js';
import { failpoint } from '../../shared/failpoint.js';
import type { LogFields, Logger } from '../../shared/log.js';
import type { CoordinatorMessage, VmReport } from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { VmBackend } from '../backends/backend.js';
import type { Sidecar } from '../sidecar/schema.js';
import { checkEmulatorCpus, checkPinCount, checkPins } from '../validate/cpu-rules.js';
import { type HostView, indexHost } from '../validate/host-view.js';
import { checkMemory, checkNuma } from '../validate/numa-rules.js';
import { reportOf } from './report.js';

/** ResizeOrder is the coordinator's resize message: new sizes and the pins placement chose on this node. */
export type ResizeOrder = Omit<Extract<CoordinatorMessage, { type: 'resize' }>, 'type' | 'request_id'>;

/** ResizeError is a resize the agent refuses before it changes anything. */
export class ResizeError extends VmpoolError {
  constructor(
    code: 'vm_not_found' | 'vm_not_stopped' | 'disk_shrink_refused' | 'resize_unsupported',
    message: string,
  ) {
    super(code, message);
    this.name = 'ResizeError';
  }
}

/** ResizePort is the part of the VM manager a resize works through (its map stays private). */
export interface ResizePort {
  readonly backend: VmBackend;
  readonly log: Logger;
  find(ref: string): Sidecar | undefined;
  hostView(exceptVmId: string): HostView;
  save(s: Sidecar): Promise<Sidecar>;
}

/**
 * resizeVm reshapes a stopped VM. Crash safety: the sidecar records the new spec with `resizing`
 * BEFORE the instance is redefined; recovery (finishResize) runs the idempotent reshape again and
 * clears the flag. A reshape that fails while the agent runs puts the old definition back. A disk
 * only grows, and a grow is skipped once done, so no step can lose the VM or its data.
 */
export async function resizeVm(p: ResizePort, order: ResizeOrder, fields: LogFields = {}): Promise<VmReport> {
  const s = p.find(order.vm_id);
  if (!s || s.desired_state === 'destroyed')
    throw new ResizeError('vm_not_found', `Cannot find VM ${JSON.stringify(order.vm_id)} on this node`);
  const inst = await p.backend.lookup(s.name);
  if (inst?.state !== 'stopped' || !inst)
    throw new ResizeError('vm_not_stopped', `Cannot resize VM ${s.name}: it must be stopped first`);
  if (order.disk_size_gb < s.spec.disk_size_gb)
    throw new ResizeError(
      'disk_shrink_refused',
      `Cannot shrink the disk of VM ${s.name} from ${s.spec.disk_size_gb} GiB to ${order.disk_size_gb} GiB`,
    );
  const spec = reshaped(s.spec, order);
  if (!s.resizing && sameShape(s.spec, spec)) return reportOf(s); // a repeated order: already done
  checkFits(spec, p.hostView(s.vm_id));
  const reshape = p.backend.reshape?.bind(p.backend);
  if (!reshape)
    throw new ResizeError('resize_unsupported', 'Cannot resize: this backend cannot redefine VMs');
  const opts = { vmId: s.vm_id, uuid: inst.uuid, ...(s.network ? { network: s.network } : {}) };
  const recorded = await p.save({ ...s, spec, resizing: true });
  failpoint('resize:recorded');
  try {
    await reshape(spec, opts);
  } catch (err) {
    p.log.error('vm resize failed, restoring the old definition', { ...fields, vm_id: s.vm_id, err });
    await reshape(s.spec, opts);
    const { resizing: _was, ...old } = s;
    await p.save(old);
    throw err;
  }
  failpoint('resize:reshaped');
  const { resizing: _r, ...done } = recorded;
  const saved = await p.save(done);
  p.log.info('vm resized', {
    ...fields,
    vm_id: s.vm_id,
    vm_name: s.name,
    vcpu_count: spec.vcpu_count,
    memory_mb: spec.memory_mb,
    disk_size_gb: spec.disk_size_gb,
    pins: spec.tuning.vcpu_pins.join(','),
  });
  return reportOf(saved);
}

/** finishResize redoes a resize a crash cut short (recovery) and returns the sidecar without the flag, unsaved. */
export async function finishResize(backend: VmBackend, s: Sidecar, uuid: string): Promise<Sidecar> {
  await backend.reshape?.(s.spec, { vmId: s.vm_id, uuid, ...(s.network ? { network: s.network } : {}) });
  const { resizing: _r, ...done } = s;
  return done;
}

/** reshaped is the spec with the order's sizes and placement; files, users and network stay. */
export function reshaped(spec: SpawnSpec, order: ResizeOrder): SpawnSpec {
  return {
    ...spec,
    vcpu_count: order.vcpu_count,
    memory_mb: order.memory_mb,
    disk_size_gb: order.disk_size_gb,
    tuning: {
      vcpu_pins: order.vcpu_pins.map(String),
      emulator_cpuset: formatCpuList(order.emulator_cpuset),
      numa_memory: { nodeset: String(order.numa_node), mode: spec.tuning.numa_memory.mode },
    },
  };
}

function sameShape(a: SpawnSpec, b: SpawnSpec): boolean {
  return (
    a.vcpu_count === b.vcpu_count &&
    a.memory_mb === b.memory_mb &&
    a.disk_size_gb === b.disk_size_gb &&
    JSON.stringify(a.tuning) === JSON.stringify(b.tuning)
  );
}

/** checkFits runs the spawn rules that still apply to an existing VM: pins, emulator set, NUMA, memory. */
function checkFits(spec: SpawnSpec, view: HostView): void {
  const host = indexHost(view);
  checkPinCount(spec);
  checkPins(spec, host);
  checkEmulatorCpus(spec, host);
  checkNuma(spec, host);
  checkMemory(spec, host);
}
