import { describe, expect, it } from 'vitest';
import { vmsDigest } from '../../shared/beat.js';
import { type Hello, MAX_STATS_VMS, PROTOCOL_VERSION, type VmReport } from '../../shared/protocol.js';
import { Beats } from './beats.js';

function vm(id: string, state: VmReport['state'] = 'running'): VmReport {
  return {
    vm_id: id,
    name: id,
    state,
    numa_node: 0,
    vcpu_pins: [1],
    emulator_cpuset: [],
    memory_mb: 512,
    vcpu_count: 1,
    cpu_policy: 'dedicated',
    domain_uuid: null,
  };
}

const base = { type: 'hello', v: 0, node_id: 'n1' } as unknown as Omit<Hello, 'vms'>;
const free = [{ numa_node: 0, free_memory_mb: 100 }];
const stats = { a: { 'cpu.time': 1 } };
const input = (images?: string[]) => ({ free_memory_mb: free, stats, images });

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

describe('Beats', () => {
  it('offers version 2 with the digest, then sends small beats while the list is unchanged', () => {
    const c = clock();
    const b = new Beats(10_000, c.now);
    const list = [vm('a')];
    const hello = b.hello(base, list);
    expect(hello).toMatchObject({ v: PROTOCOL_VERSION, vms_digest: vmsDigest(list) });
    b.welcomed(2);
    const first = b.next(list, input());
    expect(first).toEqual({ type: 'beat', seq: 1, digest: vmsDigest(list), free_memory_mb: free, stats });
    c.t += 1_000;
    // stats are sampled: none until statsEveryMs has passed
    expect(b.next(list, input())).toEqual({
      type: 'beat',
      seq: 2,
      digest: vmsDigest(list),
      free_memory_mb: free,
    });
    c.t += 9_000;
    expect(b.next(list, input())).toMatchObject({ type: 'beat', stats });
  });

  it('sends the full list when it changes, when asked to resync, and with a changed image list', () => {
    const b = new Beats(10_000, clock().now);
    b.hello(base, [vm('a')]);
    b.welcomed(2);
    const changed = [vm('a', 'stopped')];
    expect(b.next(changed, input())).toMatchObject({
      type: 'heartbeat',
      vms: changed,
      digest: vmsDigest(changed),
    });
    expect(b.next(changed, input()).type).toBe('beat');
    b.resyncAsked();
    expect(b.next(changed, input())).toMatchObject({ type: 'heartbeat', vms: changed });
    expect(b.next(changed, input()).type).toBe('beat');
    expect(b.next(changed, input(['debian']))).toMatchObject({ type: 'heartbeat', images: ['debian'] });
  });

  it('speaks version 1 to a coordinator that welcomes with 1 or refused 2: full beats with stats every time', () => {
    const b = new Beats(10_000, clock().now);
    b.hello(base, []);
    b.welcomed(1);
    expect(b.next([], input())).toEqual({ type: 'heartbeat', seq: 1, free_memory_mb: free, vms: [], stats });
    expect(b.next([], input())).toMatchObject({ type: 'heartbeat', stats });
    expect(b.refused()).toBe(true);
    expect(b.refused()).toBe(false);
    const hello = b.hello(base, []);
    expect(hello.v).toBe(1);
    expect(hello.vms_digest).toBeUndefined();
  });

  it('bounds the stats one beat carries', () => {
    const b = new Beats(0, clock().now);
    b.hello(base, []);
    b.welcomed(2);
    const many = Object.fromEntries(
      Array.from({ length: MAX_STATS_VMS + 5 }, (_, i) => [`v${i}`, { 'cpu.time': i }]),
    );
    const beat = b.next([], { free_memory_mb: free, stats: many, images: undefined });
    expect(Object.keys(beat.stats ?? {})).toHaveLength(MAX_STATS_VMS);
  });
});
