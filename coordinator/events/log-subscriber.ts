import type { CoordinatorEvent } from '../../shared/events.js';
import type { Logger } from '../../shared/log.js';
import type { EventBus } from './bus.js';

type Level = 'info' | 'warn';

/** LOG_LINES gives each event its fixed log message and level. */
const LOG_LINES: Record<CoordinatorEvent['type'], [Level, string]> = {
  'vm.claimed': ['info', 'vm claimed'],
  'vm.placed': ['info', 'vm placed'],
  'vm.spawning': ['info', 'vm spawning'],
  'vm.running': ['info', 'vm running'],
  'vm.failed': ['warn', 'vm create failed'],
  'vm.released': ['info', 'vm released'],
  'vm.reported': ['info', 'vm state reported'],
  'vm.destroyed': ['info', 'vm destroyed'],
  'vm.power': ['info', 'vm power changed'],
  'vm.lost': ['warn', 'vm lost'],
  'vm.adopted': ['info', 'vm adopted'],
  'node.joined': ['info', 'node joined'],
  'node.up': ['info', 'node up'],
  'node.down': ['warn', 'node down'],
  'node.removed': ['info', 'node removed'],
};

/** logEvents makes the log a subscriber: one fixed-text line per event, the event's fields as data. */
export function logEvents(bus: EventBus, log: Logger): () => void {
  return bus.subscribe((e) => {
    const [level, msg] = LOG_LINES[e.type];
    const { type: _t, v: _v, ts: _ts, seq, ...fields } = e;
    log[level](msg, { ...fields, event_seq: seq });
  });
}
