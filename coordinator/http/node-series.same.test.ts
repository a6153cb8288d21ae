import { describe, expect, it } from 'vitest';
import { VmIndex } from '../claims/vm-index.js';
import { NodeRegistry } from '../registry/registry.js';
import { helloFor } from '../registry/testing.js';
import { emptyState, MemoryStore, type VmRecord } from '../store/index.js';
import { AgeLines } from './age-lines.js';
import { BLOCK, nodeSeries, SLICE } from './node-series.js';
import { referenceNodeSeries } from './testing/node-series-reference.js';

// The kept-rows renderer must give the very bytes the pre-wave-8 renderer gave, scrape after scrape,
// while a random fleet changes underneath: claims taken, released and moved, VM states changed,
// nodes down, up, reconnected, removed and added, images changed, odd node ids, fractional clocks.

const conn = () => ({ send: () => undefined, close: () => undefined });

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function vm(id: string, node: string, numa: number, pins: number[]): VmRecord {
  return {
    id,
    tenant: 't',
    name: id,
    vmid: 100,
    tags: [],
    request: null,
    state: 'running',
    node_id: node,
    placement: {
      numa_node: numa,
      vcpu_pins: pins,
      emulator_cpuset: [],
      memory_nodeset: String(numa),
      cpu_policy: 'dedicated',
      memory_mb: 1024 * (1 + (pins[0]! % 4)),
      vcpu_count: pins.length,
      pass: 1,
    },
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  };
}

async function fleet(seed: number) {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const store = new MemoryStore();
  await store.load();
  const index = new VmIndex(store);
  const registry = new NodeRegistry({ rand: () => 0 });
  let clock = 10_000;
  const sources = {
    entries: () => registry.entries(),
    state: () => store.read(),
    claimsOf: () => (id: string) => index.claimsOn(id),
    claimsVersion: () => (id: string) => index.nodeVersion(id),
    overcommit: 2,
    now: () => clock,
  };
  const renders = {
    kept: nodeSeries(sources),
    // without the index's version the renderer compares claim lists; without an index it scans the store
    listed: nodeSeries({ ...sources, claimsVersion: () => undefined }),
    scanned: nodeSeries({ ...sources, claimsOf: () => undefined }),
    reference: referenceNodeSeries(sources),
  };
  const ids = ['n-0', 'n"1', 'n\\2', 'n\n3', ...Array.from({ length: 2 * BLOCK }, (_, i) => `node-${i}`)];
  const join = (id: string) =>
    registry.connect(helloFor(id, { host_reserved_memory_mb: rand() < 0.3 ? 2048 : 0 }), conn(), clock);
  for (const id of ids) if (rand() < 0.8) join(id);
  let n = 0;
  const step = async () => {
    const live = [...registry.entries()];
    const r = rand();
    clock += rand() < 0.2 ? rand() * 900 : Math.floor(rand() * 900);
    if (r < 0.35 && live.length > 0) {
      const e = pick(live);
      const cell = pick(e.hello.topology.numa_nodes);
      const cpus = cell.cpus.map((c) => c.id);
      const at = Math.floor(rand() * Math.max(1, cpus.length - 2));
      await store.update((d) => {
        const v = vm(`vm-${n++}`, e.id, cell.id, cpus.slice(at, at + 2));
        d.vms[v.id] = v;
      });
    } else if (r < 0.5) {
      const vms = Object.values(store.read().vms);
      if (vms.length === 0) return;
      const v = pick(vms);
      const to = rand() < 0.3 ? pick(live)?.id : undefined;
      await store.update((d) => {
        if (to) d.vms[v.id] = { ...v, node_id: to };
        else if (rand() < 0.5) delete d.vms[v.id];
        else d.vms[v.id] = { ...v, state: 'stopped' };
      });
    } else if (r < 0.6 && live.length > 0)
      registry.heartbeat(
        pick(live).id,
        pick(live).conn ?? conn(),
        { type: 'beat', digest: '' } as never,
        clock,
      );
    else if (r < 0.7) {
      for (const e of live)
        if (e.conn) registry.heartbeat(e.id, e.conn, { type: 'beat', digest: '' } as never, clock);
    } else if (r < 0.78) registry.sweep(clock + 600_000);
    else if (r < 0.86 && live.length > 0) registry.disconnect(pick(live).id, pick(live).conn ?? conn());
    // the last node's removal shortens the last block without moving any other row
    else if (r < 0.92 && live.length > 0)
      registry.remove((rand() < 0.4 ? live.at(-1)! : pick(live)).id, 'test');
    else join(pick(ids));
  };
  return { renders, step };
}

const text = async (render: () => Promise<Buffer[]>) => Buffer.concat(await render()).toString('utf8');

describe('nodeSeries renders what the pre-wave-8 renderer rendered', () => {
  it.each([1, 2, 3, 4])(
    'byte for byte, scrape after scrape, on a changing random fleet (seed %i)',
    async (seed) => {
      const f = await fleet(seed);
      for (let scrape = 0; scrape < 40; scrape++) {
        for (let k = 0; k < 1 + (scrape % 7) * 5; k++) await f.step();
        const want = f.renders.reference();
        expect(await text(f.renders.kept)).toBe(want);
        expect(await text(f.renders.listed)).toBe(want);
        expect(await text(f.renders.scanned)).toBe(want);
      }
    },
  );
});

describe('nodeSeries over several event-loop turns', () => {
  function big() {
    const registry = new NodeRegistry({ rand: () => 0 });
    const ids = Array.from({ length: SLICE + 10 }, (_, i) => `node-${i}`);
    for (const id of ids) registry.connect(helloFor(id), conn(), 1_000);
    const sources = {
      entries: () => registry.entries(),
      state: emptyState,
      claimsOf: () => () => [],
      overcommit: 1,
      now: () => 2_000,
    };
    return { registry, render: nodeSeries(sources), reference: referenceNodeSeries(sources) };
  }

  it('shows a node removed and added again while it yields once, with its lines', async () => {
    const f = big();
    const scrape = text(f.render);
    await new Promise((r) => setImmediate(r)); // the first slice is walked; the scrape now waits a turn
    f.registry.remove('node-1', 'test');
    f.registry.connect(helloFor('node-1'), conn(), 1_500);
    const got = await scrape;
    expect(got.match(/^vmpool_node_heartbeat_age_seconds\{node="node-1"\}/gm)).toHaveLength(1);
    expect(got.match(/^vmpool_numa_free_threads\{node="node-1",/gm)).toHaveLength(2);
    expect(await text(f.render)).toBe(f.reference()); // and the next scrape is the whole truth again
  });

  it('runs overlapping scrapes one after the other, each whole', async () => {
    const f = big();
    const want = f.reference();
    const [a, b] = await Promise.all([text(f.render), text(f.render)]);
    expect(a).toBe(want);
    expect(b).toBe(want);
  });
});

describe('AgeLines', () => {
  it('writes a whole number of milliseconds as seconds exactly as String(ms / 1000)', () => {
    const lines = new AgeLines();
    const prefix = Buffer.from('x ');
    const rand = rng(7);
    const cases = [
      0,
      1,
      5,
      10,
      50,
      100,
      999,
      1000,
      1001,
      1010,
      1100,
      12_345,
      2 ** 31 - 1,
      2 ** 31,
      0.5,
      1e25,
      -0,
    ];
    for (let i = 0; i < 5000; i++) cases.push(Math.floor(rand() * 10 ** Math.floor(rand() * 10)));
    for (const ms of cases) lines.add(prefix, ms);
    expect(lines.bytes().toString()).toBe(cases.map((ms) => `x ${ms / 1000}\n`).join(''));
  });
});
