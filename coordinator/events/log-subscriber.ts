import type { CoordinatorEvent } from '../../shared/events.js';
import type { LogFields, Logger, LogLevel } from '../../shared/log.js';
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
    log[level](msg, 'vm_id' in e ? vmFields(e) : eventFields(e));
  });
}

// stamped by the bus, or named by the line itself
const EVENT_KEYS = new Set(['type', 'v', 'ts', 'seq']);
// a VM event's name and tenant become vm_name (and tenant_id), its code error_code and err
const VM_EVENT_KEYS = new Set([...EVENT_KEYS, 'name', 'tenant_id', 'code']);

/** without copies an event's own fields except `skip` into a new object, in the event's order. */
function without(e: object, skip: ReadonlySet<string>): LogFields {
  const out: LogFields = {};
  const from = e as Record<string, unknown>;
  for (const key in from) if (Object.hasOwn(from, key) && !skip.has(key)) out[key] = from[key];
  return out;
}

/** eventFields is a node or notice event's fields, then event_seq. */
function eventFields(e: CoordinatorEvent): LogFields {
  const out = without(e, EVENT_KEYS);
  out.event_seq = e.seq;
  return out;
}

/** vmFields is a VM event's own fields, then error_code and err (a failure), tenant_id, vm_name, event_seq. */
function vmFields(e: CoordinatorEvent & { vm_id: string }): LogFields {
  const { name, tenant_id, code } = e as typeof e & { name: string; tenant_id: string; code?: string };
  // set one by one, not spread: see stamped() in bus.ts
  const out = without(e, VM_EVENT_KEYS);
  if (code !== undefined) {
    out.error_code = code;
    out.err = { message: code, code };
  }
  out.tenant_id = tenant_id;
  out.vm_name = `${tenant_id}-${name}`;
  out.event_seq = e.seq;
  return out;
}
