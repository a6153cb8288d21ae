import { describe, expect, it } from 'vitest';
import { daemonTarget, LIBVIRTD_SOCKET, pickSocket, VIRTQEMUD_SOCKET } from './target.js';

describe('daemonTarget', () => {
  it.each([
    ['qemu:///system', { sockets: [LIBVIRTD_SOCKET, VIRTQEMUD_SOCKET], name: 'qemu:///system' }],
    ['test+unix:///default', { sockets: [LIBVIRTD_SOCKET], name: 'test:///default' }],
    ['qemu+unix:///system?socket=/run/x.sock', { sockets: ['/run/x.sock'], name: 'qemu:///system' }],
    ['qemu+unix:///system?socket=/s&mode=legacy', { sockets: ['/s'], name: 'qemu:///system?mode=legacy' }],
  ])('%s is a daemon URI', (uri, want) => {
    expect(daemonTarget(uri)).toEqual(want);
  });

  it.each([
    'test:///default',
    'qemu:///session',
    'qemu+ssh://host/system',
    'qemu+tcp://h/system',
    'qemu+unix://host/system',
    'not a uri',
  ])('%s is not (libvirt.so serves it)', (uri) => {
    expect(daemonTarget(uri)).toBeNull();
  });

  it('pickSocket takes the first socket that exists, or none', () => {
    const target = { sockets: ['/a', '/b'], name: 'qemu:///system' };
    expect(pickSocket(target, (p) => p === '/b')).toBe('/b');
    expect(pickSocket(target, () => true)).toBe('/a');
    expect(pickSocket(target, () => false)).toBeNull();
  });
});
