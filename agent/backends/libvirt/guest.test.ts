import { describe, expect, it } from 'vitest';
import { usableAddresses } from './guest.js';

// What the agent keeps of a guest's interface list: the answer comes from the tenant's own guest agent.

const v4 = (address: string) => ({ family: 'ipv4' as const, address, prefix: 24 });
const v6 = (address: string) => ({ family: 'ipv6' as const, address, prefix: 64 });

describe('usableAddresses', () => {
  it("keeps only the VM's NIC (by MAC, any case), without loopback and link-local addresses", () => {
    const ifaces = [
      { name: 'lo', hwaddr: '00:00:00:00:00:00', addresses: [v4('127.0.0.1'), v6('::1')] },
      {
        name: 'eth0',
        hwaddr: '52:54:00:0f:13:4e',
        addresses: [v4('10.0.2.15'), v6('fec0::5054:ff:fe0f:134e'), v6('fe80::5054:ff:fe0f:134e')],
      },
      { name: 'docker0', hwaddr: '02:42:ac:11:00:01', addresses: [v4('172.17.0.1')] },
    ];
    expect(usableAddresses(ifaces, '52:54:00:0F:13:4E')).toEqual(['10.0.2.15', 'fec0::5054:ff:fe0f:134e']);
  });

  it('drops what is not an IP address and keeps at most 16 (a hostile guest agent cannot bloat a report)', () => {
    const many = Array.from({ length: 40 }, (_, i) => v4(`10.0.0.${i + 1}`));
    const ifaces = [
      {
        name: 'eth0',
        hwaddr: '52:54:00:00:00:01',
        addresses: [v4('x'.repeat(5000)), v4('10.0.0.300'), ...many],
      },
    ];
    const got = usableAddresses(ifaces, '52:54:00:00:00:01');
    expect(got).toHaveLength(16);
    expect(got[0]).toBe('10.0.0.1');
  });
});
