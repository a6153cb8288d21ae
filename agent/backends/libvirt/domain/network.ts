import { createHash } from 'node:crypto';
import { el, type XmlNode } from './xmlnode.js';
import { DomainXmlError } from './errors.js';

/** QEMU_XMLNS is libvirt's namespace for QEMU command-line additions. */
export const QEMU_XMLNS = 'http://libvirt.org/schemas/domain/qemu/1.0';
/** USER_NET_GUEST_ADDRESS is the address QEMU's user-mode network (10.0.2.0/24) gives the guest. */
export const USER_NET_GUEST_ADDRESS = '10.0.2.15';
/** USER_NET_PCI_SLOT is the PCI slot of the user-mode NIC, far above the slots libvirt assigns. */
const USER_NET_PCI_SLOT = '0x1e';

/** macFor derives a stable, locally administered MAC from the VM id (QEMU's 52:54:00 prefix). */
export function macFor(vmId: string): string {
  const h = createHash('sha256').update(vmId).digest();
  return ['52', '54', '00', ...[0, 1, 2].map((i) => h[i]!.toString(16).padStart(2, '0'))].join(':');
}

/** UserNet is a user-mode NIC: its MAC and the loopback host port forwarded to the guest's SSH. */
export interface UserNet {
  readonly mac: string;
  readonly sshPort: number;
}

/**
 * userNetCommandline gives QEMU a user-mode NIC with `hostfwd` from 127.0.0.1:sshPort to the guest's
 * port 22. libvirt 9.0 on Debian 12 refuses `<backend type='passt'>` ("Invalid value for attribute
 * 'type'"), so the forward goes through <qemu:commandline>; every value is a number or a MAC we made.
 */
export function userNetCommandline(net: UserNet): XmlNode {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(net.mac) || !Number.isInteger(net.sshPort)) {
    throw new DomainXmlError('invalid_domain_spec', 'Cannot build the user network: bad MAC or port', {
      details: { mac: net.mac, ssh_port: net.sshPort },
    });
  }
  const args = [
    '-netdev',
    `user,id=vmpoolnet0,hostfwd=tcp:127.0.0.1:${net.sshPort}-:22`,
    '-device',
    `virtio-net-pci,netdev=vmpoolnet0,mac=${net.mac},bus=pci.0,addr=${USER_NET_PCI_SLOT}`,
  ];
  return el('qemu:commandline', {}, ...args.map((value) => el('qemu:arg', { value })));
}
