import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/bus.js';
import { NodeRegistry } from './registry.js';
import { startSweep } from './sweeper.js';
import { helloFor } from './testing.js';

const conn = () => ({ send: () => undefined, close: () => undefined });
const beat = (seq: number) => ({ type: 'beat' as const, seq, digest: 'd', free_memory_mb: [] });

/** fleet: n nodes beating every 1 s, down after 2 missed intervals (the heartbeat bench's settings). */
function fleet(n: number) {
  const bus = new EventBus();
  const downs: string[] = [];
  bus.subscribe((e) => void (e.type === 'node.down' && downs.push(e.node_id)));
  const r = new NodeRegistry({ liveness: { minIntervalMs: 1_000, missedIntervals: 2 }, rand: () => 0, bus });
  const conns = Array.from({ length: n }, (_, i) => {
    const c = conn();
    r.connect(helloFor(`n${i}`), c, 0);
    return c;
  });
  const beatAll = (now: number, except = -1) => {
    for (const [i, c] of conns.entries()) if (i !== except) r.heartbeat(`n${i}`, c, beat(now), now);
  };
  return { r, downs, beatAll };
}

describe('liveness when the coordinator loop stalls', () => {
  it('a 5 s stall of the coordinator marks no live node down; the beats read after it keep them up', () => {
    const { r, downs, beatAll } = fleet(100);
    for (let t = 250; t <= 10_000; t += 250) {
      if (t % 1_000 === 0) beatAll(t);
      r.sweep(t, 0);
    }
    // the loop stalls from 10.0 s to 15.0 s: the next sweep runs 4.75 s late, before the queued beats are read
    expect(r.sweep(15_000, 4_750)).toEqual([]);
    beatAll(15_001);
    for (let t = 15_250; t <= 20_000; t += 250) {
      if (t % 1_000 === 0) beatAll(t);
      r.sweep(t, 0);
    }
    expect(downs).toEqual([]);
  });

  it('a truly silent node is marked down within 3 s while the loop runs on time', () => {
    const { r, beatAll } = fleet(3);
    let downAt = -1;
    for (let t = 250; t <= 20_000 && downAt < 0; t += 250) {
      if (t % 1_000 === 0) beatAll(t, t > 10_000 ? 1 : -1); // n1's last beat is at 10 s
      if (r.sweep(t, 0).includes('n1')) downAt = t;
    }
    expect(downAt).toBeGreaterThan(12_000);
    expect(downAt - 10_000).toBeLessThanOrEqual(3_000);
    expect(r.get('n0')?.state).toBe('ready');
  });

  it('a node silent through a stall is still marked down, its deadline moved by the stall only', () => {
    const { r, beatAll } = fleet(2);
    beatAll(1_000);
    beatAll(2_000, 1); // n1 last beat at 1 s
    expect(r.sweep(2_500, 1_000)).toEqual([]); // 1 s of it was the coordinator's stall
    expect(r.sweep(4_000, 0)).toEqual([]); // silent 3 s, 1 s explained: 2 s ≤ 2 intervals
    beatAll(4_100, 1);
    expect(r.sweep(4_250, 0)).toEqual(['n1']);
  });
});

describe('startSweep', () => {
  it('after a real 1 s block of the event loop, beats queued behind it are read before the sweep: no false down', async () => {
    const bus = new EventBus();
    const downs: string[] = [];
    bus.subscribe((e) => void (e.type === 'node.down' && downs.push(e.node_id)));
    const r = new NodeRegistry({ liveness: { minIntervalMs: 100, missedIntervals: 2 }, rand: () => 0, bus });
    const c = conn();
    r.connect(helloFor('n1'), c, Date.now());
    // the agent is another thread: its beats arrive as I/O, and queue while this loop is blocked
    const agent = new Worker(
      "const { parentPort } = require('node:worker_threads'); setInterval(() => parentPort.postMessage(1), 50);",
      { eval: true },
    );
    let seq = 0;
    agent.on('message', () => r.heartbeat('n1', c, beat(++seq), Date.now()));
    await new Promise((res) => agent.once('online', res));
    const stop = startSweep(r, { everyMs: 25, now: Date.now });
    await new Promise((res) => setTimeout(res, 200));
    const until = performance.now() + 1_000;
    while (performance.now() < until); // the coordinator's loop blocked for 1 s (a long task, GC, starvation)
    await new Promise((res) => setTimeout(res, 300));
    await agent.terminate();
    expect(downs).toEqual([]);
    // and once its beats really stop, the node goes down within its bound (+ a sweep)
    const silentAt = Date.now();
    while (r.get('n1')?.state !== 'down' && Date.now() - silentAt < 2_000)
      await new Promise((res) => setTimeout(res, 10));
    stop();
    expect(downs).toEqual(['n1']);
    expect(Date.now() - silentAt).toBeLessThan(600);
  });
});

describe('liveness when the coordinator loop is steadily late', () => {
  it('a silent node is still seen down about on time: deadlines move by the longest stall, not the sum', () => {
    const { r, beatAll } = fleet(3);
    let downAt = -1;
    // every sweep runs 200 ms late (a saturated loop): sweeps land every 450 ms
    for (let t = 450; t <= 30_000 && downAt < 0; t += 450) {
      beatAll(t, t > 10_000 ? 1 : -1);
      if (r.sweep(t, 200).includes('n1')) downAt = t;
    }
    expect(r.get('n0')?.state).toBe('ready');
    expect(downAt - 9_900).toBeLessThanOrEqual(2_000 + 200 + 450); // bound + one stall + one sweep
  });
});

describe('startSweep, a long task in an I/O callback', () => {
  it('a 1 s block inside a beat handler (the poll phase, after the sweep timer fired on time) gives no false down', async () => {
    const bus = new EventBus();
    const downs: string[] = [];
    bus.subscribe((e) => void (e.type === 'node.down' && downs.push(e.node_id)));
    const r = new NodeRegistry({ liveness: { minIntervalMs: 100, missedIntervals: 2 }, rand: () => 0, bus });
    const conns = [conn(), conn()];
    for (const [i, c] of conns.entries()) r.connect(helloFor(`n${i}`), c, Date.now());
    const agent = new Worker(
      "const { parentPort } = require('node:worker_threads'); let i = 0; setInterval(() => parentPort.postMessage(i++ % 2), 25);",
      { eval: true },
    );
    let seq = 0;
    let blocked = false;
    agent.on('message', (i: number) => {
      r.heartbeat(`n${i}`, conns[i]!, beat(++seq), Date.now());
      if (seq < 12 || blocked) return;
      blocked = true; // one handler runs 1 s: the beats of both nodes queue behind it
      const until = performance.now() + 1_000;
      while (performance.now() < until);
    });
    await new Promise((res) => agent.once('online', res));
    const stop = startSweep(r, { everyMs: 25, now: Date.now });
    await new Promise((res) => setTimeout(res, 1_800));
    stop();
    await agent.terminate();
    expect(blocked).toBe(true);
    expect(downs).toEqual([]);
  });
});
