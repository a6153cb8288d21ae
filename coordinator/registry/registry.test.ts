import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/bus.js';
import { BeatScanner } from '../link/beat-scan.js';
import { NodeRegistry } from './registry.js';
import { helloFor } from './testing.js';

const hello = (id: string) => helloFor(id);
const conn = () => ({ send: () => undefined, close: () => undefined });

describe('NodeRegistry', () => {
  it('a newer (authenticated) connection displaces the old socket with 4011, which is closed, not left open', () => {
    const r = new NodeRegistry({ liveness: { minIntervalMs: 1000 }, rand: () => 0 });
    const closed: [number, string][] = [];
    const first = { send: () => undefined, close: (c: number, why: string) => void closed.push([c, why]) };
    r.connect(hello('n1'), first, 0);
    const second = conn();
    r.connect(hello('n1'), second, 10);
    expect(closed).toEqual([[4011, 'displaced by a newer connection of this node']]);
    expect(r.get('n1')?.conn).toBe(second);
    const hb = { type: 'heartbeat' as const, seq: 1, free_memory_mb: [], vms: [] };
    expect(r.heartbeat('n1', first, hb, 20)).toBe(false);
  });

  it('down nodes do not stretch the heartbeat interval of live ones; remove forgets a node', () => {
    const r = new NodeRegistry({
      liveness: { minIntervalMs: 1000, maxHeartbeatsPerSecond: 50 },
      rand: () => 0,
    });
    for (let i = 0; i < 500; i++) r.connect(hello(`rogue-${i}`), conn(), 0);
    r.sweep(10_000_000);
    const real = r.connect(hello('real'), conn(), 10_000_001);
    expect(real.intervalMs).toBe(1000);
    expect(r.remove('rogue-1', 'node removed')).toBe(true);
    expect(r.get('rogue-1')).toBeUndefined();
    expect(r.list()).toHaveLength(500);
  });

  it('ignores heartbeats from a socket that is not the node current one', () => {
    const r = new NodeRegistry({ rand: () => 0 });
    const c = conn();
    r.connect(hello('n1'), c, 0);
    const hb = { type: 'heartbeat' as const, seq: 1, free_memory_mb: [], vms: [] };
    expect(r.heartbeat('n1', conn(), hb, 5)).toBe(false);
    expect(r.heartbeat('n1', c, hb, 5)).toBe(true);
    expect(r.get('n1')?.lastSeen).toBe(5);
    r.heartbeat('n1', c, { ...hb, seq: 2, stats: { vm1: { 'cpu.time': 7 } } }, 6);
    expect(r.get('n1')?.stats.toRecord()).toEqual({ vm1: { 'cpu.time': 7 } });
  });

  it('takes a scanned small beat: its rows replace the stats, a beat without rows keeps them, a down node comes up', () => {
    const r = new NodeRegistry({ liveness: { minIntervalMs: 1000, missedIntervals: 3 }, rand: () => 0 });
    const c = conn();
    r.connect(hello('n1'), c, 0);
    const scanner = new BeatScanner();
    const text = (stats: string) =>
      `{"type":"beat","seq":1,"digest":"${'e'.repeat(64)}","free_memory_mb":[]${stats}}`;
    const scanned = scanner.scan(Buffer.from(text(',"stats":{"vm1":{"cpu.time":7,"vcpu.wait":-1.5}}')))!;
    expect(r.heartbeat('n1', c, scanned, 5)).toBe(true);
    expect(r.get('n1')?.stats.toRecord()).toEqual({ vm1: { 'cpu.time': 7, 'vcpu.wait': -1.5 } });
    expect(r.sweep(9_000)).toEqual(['n1']);
    expect(r.heartbeat('n1', c, scanner.scan(Buffer.from(text('')))!, 9_001)).toBe(true);
    expect(r.get('n1')?.state).toBe('ready');
    expect(r.get('n1')?.lastSeen).toBe(9_001);
    expect(r.get('n1')?.stats.toRecord()).toEqual({ vm1: { 'cpu.time': 7, 'vcpu.wait': -1.5 } });
    expect(r.heartbeat('n1', conn(), scanned, 9_002)).toBe(false); // not the node's own socket
  });

  it('marks a silent node down after missed intervals, and a beat brings it back', () => {
    const r = new NodeRegistry({ liveness: { minIntervalMs: 1000, missedIntervals: 3 }, rand: () => 0 });
    const c = conn();
    r.connect(hello('n1'), c, 0);
    expect(r.sweep(2_999)).toEqual([]);
    expect(r.sweep(3_001)).toEqual(['n1']);
    expect(r.sweep(9_999)).toEqual([]);
    r.heartbeat('n1', c, { type: 'heartbeat', seq: 2, free_memory_mb: [], vms: [] }, 10_000);
    expect(r.get('n1')?.state).toBe('ready');
  });

  it('emits joined for a new node, down when it goes silent, up when it beats or reconnects', () => {
    const bus = new EventBus();
    const events: string[] = [];
    bus.subscribe((e) => void events.push(`${e.type}:${e.node_id}`));
    const r = new NodeRegistry({ liveness: { minIntervalMs: 1000, missedIntervals: 3 }, rand: () => 0, bus });
    const c = conn();
    r.connect(hello('n1'), c, 0);
    const hb = { type: 'heartbeat' as const, seq: 1, free_memory_mb: [], vms: [] };
    r.heartbeat('n1', c, hb, 500); // a beat while ready changes nothing
    r.sweep(3_501);
    r.heartbeat('n1', c, hb, 3_600);
    r.sweep(7_000);
    r.disconnect('n1', c);
    r.connect(hello('n1'), conn(), 7_001);
    expect(events).toEqual(['node.joined:n1', 'node.down:n1', 'node.up:n1', 'node.down:n1', 'node.up:n1']);
  });

  it('hands out longer intervals as the fleet grows', () => {
    const r = new NodeRegistry({
      liveness: { minIntervalMs: 1000, maxHeartbeatsPerSecond: 10 },
      rand: () => 0,
    });
    for (let i = 0; i < 50; i++) r.connect(hello(`n${i}`), conn(), 0);
    expect(r.get('n0')?.intervalMs).toBe(1000);
    expect(r.get('n49')?.intervalMs).toBe(5000);
  });
});

describe('NodeRegistry.retune', () => {
  it('sends a longer interval to early nodes once the fleet has grown, and nothing when it has not', () => {
    const r = new NodeRegistry({
      liveness: { minIntervalMs: 1000, maxHeartbeatsPerSecond: 10 },
      rand: () => 0,
    });
    const sent: unknown[] = [];
    r.connect(hello('early'), { send: (m) => sent.push(m), close: () => undefined }, 0);
    expect(r.retune()).toEqual([]);
    for (let i = 0; i < 99; i++) r.connect(hello(`n${i}`), conn(), 0);
    expect(r.retune()).toContain('early');
    expect(sent).toEqual([{ type: 'interval', heartbeat_interval_ms: 10_000 }]);
    expect(r.retune()).toEqual([]);
  });
});
