import type { CoordinatorEvent } from '../../shared/events.js';
import type { Logger, LogLevel } from '../../shared/log.js';
import type { EventBus } from './bus.js';

/** LOG_LINES gives each event its fixed log message and level; a failure is an error, not news. */
const LOG_LINES: Record<CoordinatorEvent['type'], [LogLevel, string]> = {
  'vm.claimed': ['info', 'vm claimed: quota checked, VMID held'],
  'vm.placed': ['info', 'vm placed'],
  'vm.spawning': ['info', 'vm spawn sent to node'],
  'vm.running': ['info', 'vm running'],
  'vm.failed': ['error', 'vm create failed'],
  'vm.released': ['info', 'vm released'],
  'vm.reported': ['info', 'vm state reported'],
  'vm.destroyed': ['info', 'vm destroyed'],
  'vm.power': ['info', 'vm power changed'],
  'vm.resized': ['info', 'vm resized'],
  'vm.guest': ['info', 'vm guest readiness changed'],
  'vm.lost': ['warn', 'vm lost'],
  'vm.adopted': ['info', 'vm adopted'],
  'node.joined': ['info', 'node joined'],
  'node.up': ['info', 'node up'],
  'node.down': ['warn', 'node down'],
  'node.removed': ['info', 'node removed'],
  'quota.rejected': ['warn', 'quota rejected a request'],
  'audit.verify_failed': ['error', 'audit verify failed'],
};

/**
 * lineOf is the event's log line; a VM the hypervisor paused on an I/O error (a full or failing
 * disk) is an error an operator must act on, not news.
 */
function lineOf(e: CoordinatorEvent): [LogLevel, string] {
  if (e.type === 'vm.reported' && e.state === 'paused' && e.reason === 'ioerror')
    return ['error', 'vm paused on an I/O error'];
  return LOG_LINES[e.type];
}

/**
 * logEvents makes the log a subscriber: one fixed-text line per event, the event's fields as data.
 * VM events carry VM_NAME as the node's domain name (tenant-name), the name the agent logs, so
 * `journalctl VM_NAME=…` finds both services' lines (the rule of vms/spec-builder.ts domainName;
 * events sit below vms/ and do not import it).
 */
export function logEvents(bus: EventBus, log: Logger): () => void {
  return bus.subscribe((e) => {
    const [level, msg] = lineOf(e);
    const { type: _t, v: _v, ts: _ts, seq, ...fields } = e;
    if ('vm_id' in fields) {
      const { name, tenant_id, code, ...rest } = fields as typeof fields & { code?: string };
      const failure = code === undefined ? {} : { error_code: code, err: { message: code, code } };
      log[level](msg, { ...rest, ...failure, tenant_id, vm_name: `${tenant_id}-${name}`, event_seq: seq });
      return;
    }
    log[level](msg, { ...fields, event_seq: seq });
  });
}
