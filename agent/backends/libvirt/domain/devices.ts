import { DomainXmlError } from './errors.js';
import { el, type XmlNode } from './xmlnode.js';

/** DiskAttachment is one qcow2 data disk and its guest device name (vdb, vdc, …). */
export interface DiskAttachment {
  readonly path: string;
  readonly target: string;
}

/** NetworkChoice says which NIC, if any, the guest gets, and its MAC. */
export interface NetworkChoice {
  readonly bridge: string | null | undefined;
  readonly bridgeExists: boolean;
  readonly userNetwork: boolean;
  readonly mac?: string;
}

// vdz is the NoCloud seed; data disks take vdb-vdy (24, the spec's maximum)
const DATA_TARGETS = 'bcdefghijklmnopqrstuvwxy'.split('').map((c) => `vd${c}`);
/** SEED_TARGET is the seed disk's guest device name. */
export const SEED_TARGET = 'vdz';

/** dataDiskTargets fills in vdb, vdc, … for disks without a target, skipping taken ones; vda is the root disk. */
export function dataDiskTargets(
  disks: readonly { path: string; target?: string | undefined }[],
): DiskAttachment[] {
  const taken = new Set(disks.map((d) => d.target).filter((t): t is string => t !== undefined));
  const free = DATA_TARGETS.filter((t) => !taken.has(t));
  const out = disks.map((d) => ({ path: d.path, target: d.target ?? free.shift() }));
  const targets = out.map((d) => d.target);
  const valid = targets.every((t) => t !== undefined && DATA_TARGETS.includes(t));
  if (!valid || new Set(targets).size !== targets.length) {
    throw new DomainXmlError(
      'invalid_domain_spec',
      'Cannot attach extra disks: targets must be distinct vdb-vdy (vdz is the seed)',
      {
        details: { targets },
      },
    );
  }
  return out as DiskAttachment[];
}

/** qcow2DiskElement is a virtio qcow2 disk; discard='unmap' lets guest TRIM shrink the overlay. */
export function qcow2DiskElement(path: string, target: string): XmlNode {
  return el(
    'disk',
    { type: 'file', device: 'disk' },
    el('driver', { name: 'qemu', type: 'qcow2', discard: 'unmap' }),
    el('source', { file: path }),
    el('target', { dev: target, bus: 'virtio' }),
  );
}

/**
 * seedDiskElement is the NoCloud seed ISO as a read-only virtio disk: cloud-init finds it by its
 * `cidata` label, and virtio-blk is built into every cloud kernel (Debian's cloud kernel has no AHCI,
 * so a SATA cdrom is invisible to it).
 */
export function seedDiskElement(path: string): XmlNode {
  return el(
    'disk',
    { type: 'file', device: 'disk' },
    el('driver', { name: 'qemu', type: 'raw' }),
    el('source', { file: path }),
    el('target', { dev: SEED_TARGET, bus: 'virtio' }),
    el('readonly'),
  );
}

/** interfaceElement gives the bridge NIC, a user-mode NIC, or none; a missing bridge is an error, not a silent drop. */
export function interfaceElement(net: NetworkChoice): XmlNode | null {
  if (net.bridge) {
    if (!net.bridgeExists) {
      throw new DomainXmlError(
        'bridge_not_found',
        `Cannot attach network: bridge "${net.bridge}" not found`,
        {
          details: { bridge: net.bridge },
        },
      );
    }
    return el(
      'interface',
      { type: 'bridge' },
      net.mac !== undefined && el('mac', { address: net.mac }),
      el('source', { bridge: net.bridge }),
      el('model', { type: 'virtio' }),
    );
  }
  // user networking is QEMU's own NIC with a loopback SSH forward (userNetArgs), not a libvirt <interface>
  return null;
}

/**
 * consoleElements give a pty serial console (virsh console) whose output virtlogd also writes to
 * `logPath` (rotated and size-capped by virtlogd), the guest agent channel, and no balloon, since
 * memory is pinned strict.
 */
export function consoleElements(logPath?: string): XmlNode[] {
  return [
    el('serial', { type: 'pty' }, logPath !== undefined && el('log', { file: logPath, append: 'on' })),
    el('console', { type: 'pty' }),
    el('channel', { type: 'unix' }, el('target', { type: 'virtio', name: 'org.qemu.guest_agent.0' })),
    el('memballoon', { model: 'none' }),
  ];
}
