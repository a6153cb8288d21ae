import type { CoordinatorEvent } from '../../shared/events.js';
import type { AuditInput, AuditJournal } from '../audit/index.js';
import type { EventBus } from './bus.js';

/**
 * auditLine maps an event to the audit line it has always written; null for events the audit log
 * does not record (placement details, node reports, node liveness live in the logs).
 */
export function auditLine(e: CoordinatorEvent): AuditInput | null {
  switch (e.type) {
    case 'vm.claimed':
      return { tenant: e.tenant_id, vm: e.vm_id, op: 'vm.create', source: e.source, result: 'claimed' };
    case 'vm.running':
      if (e.via !== 'spawn') return null;
      return { tenant: e.tenant_id, vm: e.vm_id, op: 'vm.create', source: 'agent', result: 'running' };
    case 'vm.failed':
      return {
        tenant: e.tenant_id,
        vm: e.vm_id,
        op: 'vm.create',
        source: 'coordinator',
        result: `failed:${e.code}`,
      };
    case 'vm.destroyed':
      return {
        tenant: e.tenant_id,
        vm: e.vm_id,
        op: 'vm.destroy',
        source: e.source,
        result: e.keep_disk ? 'ok:disk-kept' : 'ok',
      };
    case 'vm.power':
      return {
        tenant: e.tenant_id,
        vm: e.vm_id,
        op: `vm.${e.op}`,
        source: e.source,
        result: `ok:${e.state}`,
      };
    case 'vm.resized':
      return {
        tenant: e.tenant_id,
        vm: e.vm_id,
        op: 'vm.resize',
        source: e.source,
        result: `ok:${e.vcpu_count}vcpu/${e.memory_mb}MiB/${e.disk_size_gb}GiB`,
      };
    default:
      return null;
  }
}

/**
 * auditEvents makes the audit log a required subscriber: the emitter waits for the fsynced append
 * and a failed append rejects the emit (the claim book undoes the claim; the API answers 503).
 */
export function auditEvents(bus: EventBus, audit: AuditJournal): () => void {
  return bus.subscribeRequired((e) => {
    const line = auditLine(e);
    return line ? audit.append(line) : undefined;
  });
}
