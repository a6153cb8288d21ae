import { describe, expect, it } from 'vitest';
import { resolveListen } from './listen.js';

const ifaces = {
  wg0: [
    { address: '10.8.0.1', family: 'IPv4', netmask: '255.255.255.0', mac: '', internal: false, cidr: null },
  ],
} as never;

describe('resolveListen', () => {
  it.each([
    ['127.0.0.1:7700', { host: '127.0.0.1', port: 7700 }],
    ['[::1]:80', { host: '::1', port: 80 }],
    ['wg0:7700', { host: '10.8.0.1', port: 7700 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
  ])('resolves %s', (spec, want) => {
    expect(resolveListen(spec, { interfaces: ifaces })).toEqual(want);
  });

  it.each(['0.0.0.0:7700', ':7700', '[::]:7700', '[0::0]:7700', '::0:7700', '[::ffff:0.0.0.0]:7700'])(
    'refuses wildcard %s without allowAll',
    (spec) => {
      expect(() => resolveListen(spec, { interfaces: ifaces })).toThrow(/--listen-all/);
      expect(resolveListen(spec, { allowAll: true, interfaces: ifaces }).port).toBe(7700);
    },
  );

  it.each(['wg9:7700', 'nope', '1.2.3.4:99999', '0:7700', '0.00.0.0:7700'])(
    'rejects %s with bad_config',
    (spec) => {
      expect(() => resolveListen(spec, { interfaces: ifaces })).toThrow(
        expect.objectContaining({ code: 'bad_config' }),
      );
    },
  );
});
