import type { VmRecord } from '../store/index.js';
import { VmError } from './errors.js';

/** DEFAULT_READY_TIMEOUT_S bounds a create's `wait_for: ready` when the request names no ready_timeout_s. */
export const DEFAULT_READY_TIMEOUT_S = 600;

/** ReadyWaitOptions: the bound, and how often the record is read again (the node's heartbeats update it). */
export interface ReadyWaitOptions {
  timeoutMs: number;
  pollMs?: number;
}

/**
 * waitGuestReady holds a create's answer until the VM's node reports its guest `ready` (guest agent
 * up, cloud-init finished). It reads the record the claim book keeps current from node reports, so
 * it adds no node traffic. An unready guest, a node that cannot ask guests, or the bound passing is
 * 504 guest_not_ready; the VM stays (it runs), and the error names it so the caller can look or destroy.
 */
export async function waitGuestReady(
  get: (vmId: string) => VmRecord | undefined,
  vm: VmRecord,
  o: ReadyWaitOptions,
): Promise<VmRecord> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const now = get(vm.id);
    if (!now) throw new VmError('not_found', `Cannot wait for VM "${vm.name}": it was removed`);
    const guest = now.guest;
    if (guest?.state === 'ready') return now;
    if (!guest) throw notReady(now, 'its node cannot ask guests (no guest agent access)');
    if (guest.state === 'unready')
      throw notReady(now, `the node reports it unready (${guest.code ?? 'unknown'})`);
    if (Date.now() >= deadline)
      throw notReady(now, `still booting after ${Math.round(o.timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, Math.min(o.pollMs ?? 500, Math.max(0, deadline - Date.now()))));
  }
}

function notReady(vm: VmRecord, why: string): VmError {
  return new VmError('guest_not_ready', `VM "${vm.name}" runs but its guest is not ready: ${why}`, {
    details: { vm_id: vm.id, state: vm.state, guest: vm.guest ?? null },
  });
}
