import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameSplitter, MESSAGE_MAX, MSG_STATUS, MSG_TYPE } from './frame.js';
import { readTypedParam } from './types.js';
import { XDR_STRING_MAX, XdrError, XdrReader, XdrWriter } from './xdr.js';

describe('XDR', () => {
  it('round-trips ints, strings with padding, optional strings and opaque data', () => {
    const w = new XdrWriter().int(-2).uint(0xffffffff).string('héllo').optString(null).optString('x');
    w.opaque(Buffer.from([1, 2, 3]));
    const bytes = w.bytes();
    expect(bytes.length % 4).toBe(0);
    const r = new XdrReader(bytes);
    expect([r.int(), r.uint(), r.string(), r.optString(), r.optString()]).toEqual([
      -2,
      0xffffffff,
      'héllo',
      null,
      'x',
    ]);
    expect([...r.opaque(16)]).toEqual([1, 2, 3]);
    expect(r.remaining).toBe(0);
  });

  it('rejects a truncated value, an oversized string or opaque and a bool that is not 0/1', () => {
    expect(() => new XdrReader(Buffer.alloc(3)).int()).toThrow(XdrError);
    expect(() => new XdrReader(new XdrWriter().uint(10).bytes()).string()).toThrow(/truncated/);
    expect(() => new XdrReader(new XdrWriter().uint(XDR_STRING_MAX + 1).bytes()).string()).toThrow(/exceeds/);
    expect(() => new XdrReader(new XdrWriter().uint(5).fixed(Buffer.alloc(8)).bytes()).opaque(4)).toThrow(
      /exceeds/,
    );
    expect(() => new XdrReader(new XdrWriter().uint(2).bytes()).bool()).toThrow(/bad bool/);
  });

  it('refuses an array count larger than its limit or than the bytes that are left', () => {
    const huge = new XdrWriter().uint(1_000_000).bytes();
    expect(() => new XdrReader(huge).array(10, 4, (r) => r.int())).toThrow(/too long/);
    expect(() => new XdrReader(huge).array(2_000_000, 4, (r) => r.int())).toThrow(/too long/);
  });

  it('reads every typed parameter type, and fails on an unknown one', () => {
    const w = new XdrWriter();
    w.string('a').int(1).int(-5);
    w.string('b').int(4).uint(1).uint(2); // ULLONG 2^32 + 2
    w.string('c').int(6).int(1);
    w.string('d').int(7).string('vda');
    w.string('e')
      .int(5)
      .fixed(Buffer.from([0x3f, 0xf8, 0, 0, 0, 0, 0, 0])); // 1.5
    const r = new XdrReader(w.bytes());
    const read = [1, 2, 3, 4, 5].map(() => readTypedParam(r));
    expect(read).toEqual([
      ['a', -5],
      ['b', 2 ** 32 + 2],
      ['c', true],
      ['d', 'vda'],
      ['e', 1.5],
    ]);
    expect(() => readTypedParam(new XdrReader(new XdrWriter().string('z').int(99).bytes()))).toThrow(
      /unknown typed/,
    );
  });
});

describe('FrameSplitter', () => {
  const header = { prog: 1, vers: 1, proc: 7, type: MSG_TYPE.REPLY, serial: 9, status: MSG_STATUS.OK };

  it('reassembles frames split at any byte and several frames in one chunk', () => {
    const one = encodeFrame(header, new XdrWriter().string('abc').bytes());
    const two = encodeFrame({ ...header, serial: 10 }, new Uint8Array(0));
    const stream = Buffer.concat([one, two]);
    for (let cut = 1; cut < stream.length; cut++) {
      const s = new FrameSplitter();
      const frames = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))];
      expect(frames.map((f) => f.header.serial)).toEqual([9, 10]);
      expect(frames[0]?.body.string()).toBe('abc');
    }
  });

  it('throws on a length below the header size or above the message maximum', () => {
    expect(() => new FrameSplitter().push(new XdrWriter().uint(8).uint(0).bytes())).toThrow(
      /bad message length 8/,
    );
    expect(() => new FrameSplitter().push(new XdrWriter().uint(MESSAGE_MAX + 5).bytes())).toThrow(
      /bad message length/,
    );
  });
});
