import { describe, expect, it } from 'vitest';
import { KVM_PROBE_MARKER, probeBootSector } from '../kvm-probe.js';
import { macFor, userNetCommandline } from './network.js';
import { renderXml } from './xmlnode.js';

describe('macFor', () => {
  it('is stable per VM id, distinct across ids, and locally administered under 52:54:00', () => {
    expect(macFor('a')).toBe(macFor('a'));
    expect(macFor('a')).not.toBe(macFor('b'));
    expect(macFor('5f0e6b0c-1d2e-4f00-9a7b-123456789abc')).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });
});

describe('userNetCommandline', () => {
  it('forwards 127.0.0.1:PORT to the guest port 22 on a NIC with the VM MAC', () => {
    const xml = renderXml(userNetCommandline({ mac: '52:54:00:01:02:03', sshPort: 20022 }));
    expect(xml).toContain("value='user,id=vmpoolnet0,hostfwd=tcp:127.0.0.1:20022-:22'");
    expect(xml).toContain('mac=52:54:00:01:02:03');
  });

  it.each([
    { mac: '52:54:00:01:02:03,x=y', sshPort: 22 },
    { mac: '52:54:00:01:02:03', sshPort: 22.5 },
  ])('refuses a MAC or port that is not what vmpool makes: %j', (net) => {
    expect(() => userNetCommandline(net)).toThrow(/bad MAC or port/);
  });
});

describe('probeBootSector', () => {
  it('is one bootable 512-byte sector carrying the marker and the loop count', () => {
    const s = probeBootSector(1234);
    expect(s.length).toBe(512);
    expect([s[510], s[511]]).toEqual([0x55, 0xaa]);
    expect(s.toString('latin1')).toContain(`${KVM_PROBE_MARKER}\n\0`);
    expect(s.readUInt32LE(10)).toBe(1234);
    // mov si, msg must point at the marker as loaded at 0x7c00
    const msgAt = s.readUInt16LE(19) - 0x7c00;
    expect(s.toString('latin1', msgAt, msgAt + KVM_PROBE_MARKER.length)).toBe(KVM_PROBE_MARKER);
  });
});
