import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { beatProblem, vmsDigest } from './beat.js';
import { BeatSchema, VM_STAT_KEYS, type VmReport } from './protocol.js';

const DIGEST = 'a'.repeat(64);

function vm(id: string, state: VmReport['state'] = 'running'): VmReport {
  return {
    vm_id: id,
    name: id,
    state,
    numa_node: 0,
    vcpu_pins: [1, 2],
    emulator_cpuset: [],
    memory_mb: 512,
    vcpu_count: 2,
    cpu_policy: 'dedicated',
    domain_uuid: null,
  };
}

const valid = {
  type: 'beat',
  seq: 3,
  digest: DIGEST,
  free_memory_mb: [{ numa_node: 0, free_memory_mb: 1024 }],
  stats: { 'vm-1': { 'cpu.time': 5, 'state.state': 1 } },
};

// values a hostile or buggy agent could put in any field (JSON-representable only: the wire is JSON)
const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0, 2 ** 53, 1e308, 'beat', 'x'.repeat(65), DIGEST, DIGEST.toUpperCase(), '__proto__'),
  fc.string({ maxLength: 70 }),
  fc.constant([]),
  fc.constant({}),
);

/** mutate replaces, removes or adds one field somewhere in a valid beat. */
const mutated = fc
  .tuple(
    fc.constantFrom(
      'type',
      'seq',
      'digest',
      'free_memory_mb',
      'stats',
      'extra',
      'free.0',
      'free.0.numa_node',
      'free.0.free_memory_mb',
      'free.0.extra',
      'stats.vm-1',
      'stats.vm-1.cpu.time',
      'stats.vm-1.bogus',
      'stats.long',
      'none',
    ),
    fc.option(junk, { nil: undefined }),
  )
  .map(([where, value]) => {
    const b = structuredClone(valid) as Record<string, unknown> & typeof valid;
    const set = (o: Record<string, unknown>, k: string) => {
      if (value === undefined) delete o[k];
      else o[k] = value;
    };
    if (where === 'none') return b;
    if (where.startsWith('free.0')) {
      if (where === 'free.0') (b.free_memory_mb as unknown[])[0] = value;
      else set(b.free_memory_mb[0] as Record<string, unknown>, where.slice(7));
    } else if (where === 'stats.long') b.stats = { ['v'.repeat(65)]: { 'cpu.time': 1 } } as typeof b.stats;
    else if (where.startsWith('stats.vm-1.'))
      set(b.stats['vm-1'] as Record<string, unknown>, where.slice(11));
    else if (where === 'stats.vm-1') set(b.stats as Record<string, unknown>, 'vm-1');
    else set(b, where);
    return JSON.parse(JSON.stringify(b)) as unknown;
  });

describe('beatProblem (the hot-path check) against BeatSchema (its specification)', () => {
  it('accepts a valid beat, with and without stats', () => {
    expect(beatProblem(valid)).toBeNull();
    const { stats: _s, ...bare } = valid;
    expect(beatProblem(bare)).toBeNull();
  });

  it('agrees with the zod schema on random mutations of a valid beat', () => {
    fc.assert(
      fc.property(mutated, (m) => {
        expect(beatProblem(m) === null).toBe(BeatSchema.safeParse(m).success);
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees on random objects and refuses arrays, null and strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (m) => {
        expect(beatProblem(m) === null).toBe(BeatSchema.safeParse(m).success);
      }),
      { numRuns: 500 },
    );
    for (const m of [null, [], 'beat', 7]) expect(beatProblem(m)).not.toBeNull();
  });

  it('bounds stats to 1024 VMs and free memory to 1024 NUMA nodes', () => {
    const many = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`v${i}`, { 'cpu.time': 1 }]));
    expect(beatProblem({ ...valid, stats: many })).toMatch(/1024/);
    expect(BeatSchema.safeParse({ ...valid, stats: many }).success).toBe(false);
    const free = Array.from({ length: 1025 }, (_, i) => ({ numa_node: i, free_memory_mb: 1 }));
    expect(beatProblem({ ...valid, free_memory_mb: free })).not.toBeNull();
    expect(VM_STAT_KEYS.length).toBeGreaterThan(0);
  });
});

describe('vmsDigest', () => {
  it('names the list whatever its order, and changes with any field', () => {
    const a = vmsDigest([vm('a'), vm('b')]);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(vmsDigest([vm('b'), vm('a')])).toBe(a);
    expect(vmsDigest([vm('a'), vm('b', 'stopped')])).not.toBe(a);
    expect(vmsDigest([vm('a')])).not.toBe(a);
  });
});
