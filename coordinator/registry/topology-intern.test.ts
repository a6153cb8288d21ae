import { describe, expect, it } from 'vitest';
import { NodeRegistry } from './registry.js';
import { helloFor } from './testing.js';
import { MAX_LAYOUT_CHARS, MAX_LAYOUTS, TopologyInterner } from './topology-intern.js';

const conn = { send: () => {}, close: () => {} };

describe('TopologyInterner', () => {
  it('identical hosts share one frozen thread list; the rest of the topology stays their own', () => {
    const t = new TopologyInterner();
    const a = t.topology({ ...helloFor('a').topology, hostname: 'a' });
    const b = t.topology({ ...helloFor('b').topology, hostname: 'b' });
    expect(a.numa_nodes[0]!.cpus).toBe(b.numa_nodes[0]!.cpus);
    expect(a.numa_nodes[1]!.cpus).toBe(b.numa_nodes[1]!.cpus);
    expect(a.numa_nodes[0]).not.toBe(b.numa_nodes[0]);
    expect([a.hostname, b.hostname]).toEqual(['a', 'b']);
    expect(t.size).toBe(2); // one list per NUMA node of the layout
    expect(Object.isFrozen(a.numa_nodes[0]!.cpus[0]!.siblings)).toBe(true);
    expect(() => {
      (a.numa_nodes[0]!.cpus[0]!.siblings as number[]).push(1);
    }).toThrow(TypeError);
  });

  it('a different layout gets its own list, equal to what the host sent', () => {
    const t = new TopologyInterner();
    const base = helloFor('a').topology;
    const other = {
      ...base,
      numa_nodes: base.numa_nodes.map((n) => ({ ...n, cpus: n.cpus.slice(0, 4) })),
    };
    const a = t.topology(base);
    const b = t.topology(other);
    expect(b.numa_nodes[0]!.cpus).not.toBe(a.numa_nodes[0]!.cpus);
    expect(b).toEqual(other);
    expect(a).toEqual(base);
  });

  it('keeps at most MAX_LAYOUTS lists; past that a host keeps its own copy', () => {
    const t = new TopologyInterner();
    const base = helloFor('a').topology.numa_nodes[0]!;
    for (let i = 0; i <= MAX_LAYOUTS; i++) {
      const cpus = [{ id: i, core_id: 0, socket_id: 0, siblings: [i] }];
      const out = t.topology({ ...helloFor('a').topology, numa_nodes: [{ ...base, cpus }] });
      expect(out.numa_nodes[0]!.cpus).toEqual(cpus);
    }
    expect(t.size).toBe(MAX_LAYOUTS);
  });

  it('a list longer than MAX_LAYOUT_CHARS as JSON is not kept', () => {
    const t = new TopologyInterner();
    const base = helloFor('a').topology;
    const n = Math.ceil(MAX_LAYOUT_CHARS / 40);
    const cpus = Array.from({ length: n }, (_, id) => ({ id, core_id: id, socket_id: 0, siblings: [id] }));
    const big = { ...base, numa_nodes: [{ ...base.numa_nodes[0]!, cpus }] };
    expect(t.topology(big).numa_nodes[0]!.cpus).toEqual(cpus);
    expect(t.size).toBe(0);
  });

  it('the registry hands every identical node the same thread lists', () => {
    const r = new NodeRegistry();
    r.connect(helloFor('n1'), conn, 0);
    r.connect(helloFor('n2'), conn, 0);
    const [n1, n2] = [r.get('n1')!, r.get('n2')!];
    expect(n1.hello.topology.numa_nodes[0]!.cpus).toBe(n2.hello.topology.numa_nodes[0]!.cpus);
    expect(n1.hello.topology).toEqual(helloFor('n1').topology);
  });
});
