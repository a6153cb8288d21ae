import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeError, serializeFields } from './log.js';

// What serializeFields promises to be, written the plain way: a spread merge, undefined dropped,
// Errors turned into {message, code}, err.code copied into error_code when none is given.
function spreadReference(
  fields: Record<string, unknown>,
  bound?: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries({ ...bound, ...fields }))
    if (value !== undefined) out[key] = value instanceof Error ? serializeError(value) : value;
  const errCode = (out.err as { code?: string } | undefined)?.code;
  if (out.error_code === undefined && errCode !== undefined) out.error_code = errCode;
  return out;
}

const key = fc.constantFrom('a', 'b', 'vm', 'node', 'err', 'error_code', '0', '7', '12', 'msg', 'z');
const value = fc.oneof(
  fc.constant(undefined),
  fc.integer(),
  fc.string({ maxLength: 4 }),
  fc.constant(null),
  fc.constantFrom(new Error('boom'), Object.assign(new Error('coded'), { code: 'not_found' })),
);
const record = fc.dictionary(key, value, { maxKeys: 6 });

describe('serializeFields', () => {
  it('gives the same keys, key order and values as a spread merge of bound and call fields', () => {
    fc.assert(
      fc.property(record, fc.option(record, { nil: undefined }), (fields, bound) => {
        const got = serializeFields(fields, bound);
        const want = spreadReference(fields, bound);
        expect(Object.keys(got)).toEqual(Object.keys(want));
        expect(JSON.stringify(got)).toBe(JSON.stringify(want));
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps a bound key at its bound position when the call overrides it', () => {
    const got = serializeFields({ z: 1, a: 2 }, { a: 0, b: 3 });
    expect(Object.keys(got)).toEqual(['a', 'b', 'z']);
    expect(got.a).toBe(2);
  });

  it('drops a bound key the call sets to undefined', () => {
    expect(serializeFields({ vm: undefined }, { vm: 'x', node: 'n' })).toEqual({ node: 'n' });
  });
});
