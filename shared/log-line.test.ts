import { describe, expect, it } from 'vitest';
import { IsoClock } from './iso-time.js';
import { formatJsonLine, type LineEntry as LogEntry } from './log-line.js';

const T0 = Date.parse('2025-01-02T03:04:05.678Z');

/** recordForm is the line as one JSON.stringify of the record writes it (the form the direct one must match). */
function recordForm(e: LogEntry): string {
  return `${JSON.stringify({ ts: new Date(e.ts).toISOString(), level: e.level, component: e.component, msg: e.msg, ...e.fields })}\n`;
}

describe('formatJsonLine direct form', () => {
  it.each([
    [
      'a VM event',
      { vm_id: 'vm-1', vmid: 120, node_id: null, request_id: 'r1', pass: 0, tenant_id: 't', event_seq: 9 },
    ],
    [
      'text that needs escaping',
      { q: 'a "quoted" \\ path\n\ttab', u: 'ü → 😀', lone: '\ud800x', ctl: '\u0001\u001f' },
    ],
    [
      'numbers',
      { zero: 0, neg: -0, frac: 0.1 + 0.2, big: 1e21, tiny: 5e-7, nan: Number.NaN, inf: -Infinity },
    ],
    [
      'booleans, null and nested values',
      { ok: true, no: false, n: null, err: { message: 'x', code: 'c' }, list: [1, 'a', null] },
    ],
    ['values JSON leaves out', { u: undefined, f: () => 1, s: Symbol('s'), kept: 'k' }],
    ['a Date and an object with toJSON', { at: new Date(T0), custom: { toJSON: () => ({ x: 1 }) } }],
    ['odd key names', { 'a"b': 1, 'new\nline': 2, '': 3, field_msg: 'no clash without msg' }],
  ])('writes %s byte for byte as the record form does', (_name, fields) => {
    const entry: LogEntry = { ts: T0, level: 'warn', component: 'coordinator', msg: 'vm "placed"', fields };
    expect(formatJsonLine(entry)).toBe(recordForm(entry));
  });

  it('falls back to the record form for a core key name, a bigint or a cycle', () => {
    const base = { ts: T0, level: 'info', component: 'ctl', msg: 'm' } as const;
    expect(formatJsonLine({ ...base, fields: { a: 1, level: 'x' } })).toBe(
      '{"ts":"2025-01-02T03:04:05.678Z","level":"info","component":"ctl","msg":"m","a":1,"field_level":"x"}\n',
    );
    expect(formatJsonLine({ ...base, fields: { n: { big: 10n } } })).toContain('"n":{"big":"10"}');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(JSON.parse(formatJsonLine({ ...base, fields: { c: cycle } }))).toMatchObject({
      log_error: 'fields not serialisable',
    });
  });
});

describe('IsoClock', () => {
  it('gives toISOString of each millisecond, the same text again for the same one', () => {
    const clock = new IsoClock();
    for (const ms of [T0, T0, T0 + 1, 0, T0 + 86_400_000, T0 + 1])
      expect(clock.iso(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws as toISOString does for a time that is not one', () => {
    expect(() => new IsoClock().iso(Number.NaN)).toThrow(RangeError);
  });
});
