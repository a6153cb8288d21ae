import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/config.js';
import { backendOf } from './host.js';

describe('backendOf', () => {
  it('keeps auto and koffi for any URI, and rpc for daemon URIs', () => {
    expect(backendOf({ 'libvirt-backend': 'auto', 'libvirt-uri': 'test:///default' })).toBe('auto');
    expect(backendOf({ 'libvirt-backend': 'koffi', 'libvirt-uri': 'qemu:///system' })).toBe('koffi');
    expect(backendOf({ 'libvirt-backend': 'rpc', 'libvirt-uri': 'qemu:///system' })).toBe('rpc');
    expect(backendOf({ 'libvirt-backend': 'rpc', 'libvirt-uri': 'test+unix:///default' })).toBe('rpc');
  });

  it('refuses rpc for a URI no local daemon socket serves, naming what to use instead', () => {
    const call = () => backendOf({ 'libvirt-backend': 'rpc', 'libvirt-uri': 'test:///default' });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(/rpc with "test:\/\/\/default".*use auto or koffi/);
  });

  it('refuses an unknown backend', () => {
    expect(() => backendOf({ 'libvirt-backend': 'ssh', 'libvirt-uri': 'qemu:///system' })).toThrow(
      /expected auto, rpc or koffi/,
    );
  });
});
