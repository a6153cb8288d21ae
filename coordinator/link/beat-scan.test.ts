import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { beatProblem } from '../../shared/beat.js';
import { type Beat, VM_STAT_KEYS } from '../../shared/protocol.js';
import { VmStatsTable } from '../registry/vm-stats.js';
import { BeatScanner, type ScannedBeat } from './beat-scan.js';

const DIGEST = '0123456789abcdef'.repeat(4);
const scanner = new BeatScanner();
const scan = (text: string) => scanner.scan(Buffer.from(text));

/** seen is what the registry keeps of a beat: seq, digest and the stats as a table would hold them. */
function seen(b: ScannedBeat | Beat) {
  const t = new VmStatsTable();
  if ('rows' in b) {
    if (b.rows) t.setRows(b.rows);
  } else if (b.stats) t.set(b.stats);
  return {
    seq: b.seq,
    digest: b.digest,
    stats: 'rows' in b ? b.rows !== null : b.stats !== undefined,
    t: t.toRecord(),
  };
}

const number = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1.8e15 + 7, 1e21, 5e-324, -1e308),
);
const id = fc.oneof(fc.uuid(), fc.string({ maxLength: 64 }), fc.constantFrom('__proto__', '7', 'vm-1'));
const figures = fc.dictionary(fc.constantFrom(...VM_STAT_KEYS), number);
const beat = fc.record(
  {
    type: fc.constant('beat' as const),
    seq: fc.nat(),
    digest: fc.constant(DIGEST),
    free_memory_mb: fc.array(
      fc.record({
        numa_node: fc.nat(),
        free_memory_mb: fc.oneof(fc.nat(), fc.double({ min: 0, noNaN: true })),
      }),
      { maxLength: 4 },
    ),
    stats: fc.dictionary(id, figures, { maxKeys: 20 }),
  },
  { requiredKeys: ['type', 'seq', 'digest', 'free_memory_mb'] },
);

describe('BeatScanner', () => {
  it('reads what an agent sends exactly as JSON.parse does', () => {
    fc.assert(
      fc.property(beat, (b) => {
        const text = JSON.stringify(b);
        const parsed = JSON.parse(text) as Beat;
        if (beatProblem(parsed) !== null) return; // e.g. free memory of Infinity: not a beat
        const fast = scan(text);
        if (fast) expect(seen(fast)).toEqual(seen(parsed));
        // ids JSON must escape or would reorder are left to JSON.parse; every other beat is read here
        const plain = Object.keys(b.stats ?? {}).every(
          (k) => /^[\x20-\x7e]*$/.test(k) && !/[\\"]/.test(k) && !/^\d+$/.test(k),
        );
        if (plain && JSON.stringify(b.free_memory_mb).length < 1e4) expect(fast).not.toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('accepts only what JSON.parse and beatProblem accept, with the same values (bytes mutated)', () => {
    const base = JSON.stringify({
      type: 'beat',
      seq: 12,
      digest: DIGEST,
      free_memory_mb: [{ numa_node: 0, free_memory_mb: 1024.5 }],
      stats: { 'vm-1': { 'cpu.time': 1.8e15, 'state.state': 1 }, 'vm-2': { 'vcpu.wait': -3e-7 } },
    });
    const edit = fc.tuple(
      fc.nat({ max: base.length - 1 }),
      fc.nat({ max: 3 }),
      fc.constantFrom(...' {}[]",:.-+e0123456789abcfx\\\u00e9'.split(''), '"stats":', '"vm-1":{}', ''),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let text = base;
        for (const [at, cut, put] of edits) text = text.slice(0, at) + put + text.slice(at + cut);
        const fast = scan(text);
        if (!fast) return;
        const parsed = JSON.parse(text) as Beat; // throws (fails the property) if the scanner took bad JSON
        expect(beatProblem(parsed)).toBeNull();
        expect(seen(fast)).toEqual(seen(parsed));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves every other form to the general path', () => {
    const ok = `{"type":"beat","seq":1,"digest":"${DIGEST}","free_memory_mb":[]`;
    expect(scan(`${ok}}`)).toMatchObject({ seq: 1, digest: DIGEST, rows: null });
    for (const text of [
      `${ok} }`, // whitespace
      `${ok},"stats":{"a\\u0062":{}}}`, // an escape
      `${ok},"stats":{"12":{}}}`, // an index-like id (JSON.parse puts it first)
      `${ok},"stats":{"a":{},"a":{}}}`, // a duplicate id
      `${ok},"stats":{"a":{"cpu.time":1,"cpu.time":2}}}`, // a duplicate figure
      `${ok},"stats":{"a":{"bogus":1}}}`, // an unknown figure
      `${ok},"extra":1}`,
      `{"seq":1,"type":"beat","digest":"${DIGEST}","free_memory_mb":[]}`, // another key order
      `${ok},"stats":{"a":{"cpu.time":1e999}}}`, // not finite
      `${ok}`, // cut short
      `${ok}}x`,
    ])
      expect(scan(text), text).toBeNull();
  });

  it('reads many VMs, and leaves more than 128 to the general path', () => {
    const stats = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`vm-${i}`, { 'cpu.time': i }]));
    const text = (n: number) =>
      JSON.stringify({ type: 'beat', seq: 1, digest: DIGEST, free_memory_mb: [], stats: stats(n) });
    const fast = scan(text(128))!;
    expect(seen(fast).t).toEqual(seen(JSON.parse(text(128)) as Beat).t);
    expect(scan(text(129))).toBeNull();
  });
});
