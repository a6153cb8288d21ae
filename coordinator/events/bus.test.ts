import { describe, expect, it } from 'vitest';
import { type CoordinatorEvent, EventSchema } from '../../shared/events.js';
import { createLogger, type LogEntry } from '../../shared/log.js';
import { EventBus } from './bus.js';
import { logEvents } from './log-subscriber.js';

const ids = { vm_id: 'v1', vmid: 100, tenant_id: 't1', name: 'web-1', node_id: 'n1' };

function capture() {
  const entries: LogEntry[] = [];
  return {
    entries,
    log: createLogger({ component: 'coordinator', level: 'debug', sink: (e) => entries.push(e) }),
  };
}

describe('EventBus', () => {
  it('stamps v, seq and ts and delivers in order to every subscriber', async () => {
    const bus = new EventBus({ now: () => new Date(Date.UTC(2026, 0, 1)) });
    const a: CoordinatorEvent[] = [];
    const b: string[] = [];
    bus.subscribe((e) => void a.push(e));
    bus.on('node.down', (e) => void b.push(e.node_id));
    await bus.emit({ type: 'node.joined', node_id: 'n1', vms: 0 });
    await bus.emit({
      type: 'node.down',
      node_id: 'n1',
      silent_ms: 2_300,
      down_after_ms: 2_000,
      stall_credit_ms: 0,
    });
    expect(a.map((e) => [e.type, e.seq, e.v, e.ts])).toEqual([
      ['node.joined', 1, 1, '2026-01-01T00:00:00.000Z'],
      ['node.down', 2, 1, '2026-01-01T00:00:00.000Z'],
    ]);
    expect(b).toEqual(['n1']);
    expect(a.every((e) => EventSchema.safeParse(e).success)).toBe(true);
  });

  it('a subscriber that throws or rejects is logged and never breaks the emitter or the others', async () => {
    const { entries, log } = capture();
    const bus = new EventBus({ log });
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('boom');
    });
    bus.subscribe(() => Promise.reject(new Error('disk full')));
    bus.subscribe((e) => void seen.push(e.type));
    await expect(bus.emit({ type: 'vm.lost', ...ids })).resolves.toBeUndefined();
    expect(seen).toEqual(['vm.lost']);
    expect(entries.filter((e) => e.msg === 'event subscriber failed')).toHaveLength(2);
  });

  it('a required subscriber that rejects fails emit, after the optional ones ran', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribeRequired(() => Promise.reject(new Error('audit disk full')));
    bus.subscribe((e) => void seen.push(e.type));
    await expect(bus.emit({ type: 'vm.lost', ...ids })).rejects.toThrow('audit disk full');
    expect(seen).toEqual(['vm.lost']);
  });

  it('emit waits for a subscriber promise (the audit append) before it resolves', async () => {
    const bus = new EventBus();
    let done = false;
    bus.subscribe(async () => {
      await new Promise((r) => setTimeout(r, 10));
      done = true;
    });
    await bus.emit({ type: 'node.up', node_id: 'n1' });
    expect(done).toBe(true);
  });

  it("an event keeps the emitter's keys in order, then v, seq and ts; one object emitted twice is two events", async () => {
    const bus = new EventBus({ now: () => new Date(Date.UTC(2026, 0, 1)) });
    const seen: CoordinatorEvent[] = [];
    bus.subscribe((e) => void seen.push(e));
    const input = { ...ids, request_id: 'r1', type: 'vm.spawning', attempt: 2 } as const;
    const expected = (seq: number) =>
      JSON.stringify({
        ...ids,
        request_id: 'r1',
        type: 'vm.spawning',
        attempt: 2,
        v: 1,
        seq,
        ts: '2026-01-01T00:00:00.000Z',
      });
    await bus.emit(input);
    await bus.emit(input);
    expect(seen.map((e) => JSON.stringify(e))).toEqual([expected(1), expected(2)]);
  });

  it('without a clock, ts is the time of the emit', async () => {
    const bus = new EventBus();
    const seen: CoordinatorEvent[] = [];
    bus.subscribe((e) => void seen.push(e));
    const before = Date.now();
    await bus.emit({ type: 'node.up', node_id: 'n1' });
    const ts = Date.parse(seen[0]!.ts);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
  });

  it('a required subscriber that throws fails emit; one that returns no promise lets it resolve', async () => {
    const bus = new EventBus();
    let calls = 0;
    const off = bus.subscribeRequired(() => {
      calls++;
      throw new Error('audit closed');
    });
    await expect(bus.emit({ type: 'node.up', node_id: 'n1' })).rejects.toThrow('audit closed');
    off();
    bus.subscribeRequired(() => void calls++);
    await expect(bus.emit({ type: 'node.up', node_id: 'n1' })).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('emit waits for a required thenable and for every required promise', async () => {
    const bus = new EventBus();
    const done: string[] = [];
    const later = (name: string) => new Promise<void>((r) => setTimeout(() => r(void done.push(name)), 5));
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is no Promise is what this case is about
    bus.subscribeRequired(() => ({ then: (ok: () => void) => later('thenable').then(ok) }));
    bus.subscribeRequired(() => later('promise'));
    await bus.emit({ type: 'node.up', node_id: 'n1' });
    expect(done.sort()).toEqual(['promise', 'thenable']);
  });

  it('unsubscribe stops delivery', async () => {
    const bus = new EventBus();
    const seen: number[] = [];
    const off = bus.subscribe((e) => void seen.push(e.seq));
    await bus.emit({ type: 'node.up', node_id: 'n1' });
    off();
    await bus.emit({ type: 'node.up', node_id: 'n1' });
    expect(seen).toEqual([1]);
  });
});

describe('logEvents', () => {
  it('logs a placement with its tie-break seed as a field, under a fixed message', async () => {
    const { entries, log } = capture();
    const bus = new EventBus();
    logEvents(bus, log);
    await bus.emit({ type: 'vm.placed', ...ids, numa_node: 1, pass: 1, seed: 424242, attempt: 1 });
    expect(entries).toEqual([
      expect.objectContaining({
        msg: 'vm placed',
        level: 'info',
        fields: expect.objectContaining({ vm_id: 'v1', seed: 424242, node_id: 'n1', event_seq: 1 }),
      }),
    ]);
  });

  it('a failure logs the event fields, then error_code, err, tenant_id, vm_name and event_seq, in that order', async () => {
    const { entries, log } = capture();
    const bus = new EventBus();
    logEvents(bus, log);
    await bus.emit({ type: 'vm.failed', ...ids, request_id: 'r9', code: 'spawn_timeout' });
    await bus.emit({ type: 'node.up', node_id: 'n2' });
    expect(entries[0]?.level).toBe('error');
    expect(Object.entries(entries[0]!.fields)).toEqual([
      ['vm_id', 'v1'],
      ['vmid', 100],
      ['node_id', 'n1'],
      ['request_id', 'r9'],
      ['error_code', 'spawn_timeout'],
      ['err', { message: 'spawn_timeout', code: 'spawn_timeout' }],
      ['tenant_id', 't1'],
      ['vm_name', 't1-web-1'],
      ['event_seq', 1],
    ]);
    expect(Object.entries(entries[1]!.fields)).toEqual([
      ['node_id', 'n2'],
      ['event_seq', 2],
    ]);
  });
});
