import { closeSync, constants, openSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { errorMessage } from '../../shared/errors.js';

/** KvmStatus says whether hardware virtualisation is usable, and if not, why. */
export interface KvmStatus {
  readonly kvm: boolean;
  readonly reason?: string;
}

/** DetectKvmOptions are the two sources of truth: libvirt's capabilities and the KVM device node. */
export interface DetectKvmOptions {
  /** capabilitiesXml is virConnectGetCapabilities output; null when libvirt could not be asked. */
  readonly capabilitiesXml: string | null;
  readonly devKvmPath?: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => name === 'guest' || name === 'arch' || name === 'domain',
});

interface CapsGuestArch {
  '@_name'?: string;
  domain?: { '@_type'?: string }[];
}

/** capabilitiesKvmArchs lists the guest arches for which libvirt offers `<domain type='kvm'>`. */
export function capabilitiesKvmArchs(capabilitiesXml: string): string[] {
  const doc = parser.parse(capabilitiesXml) as { capabilities?: { guest?: { arch?: CapsGuestArch[] }[] } };
  const arches = (doc.capabilities?.guest ?? []).flatMap((guest) => guest.arch ?? []);
  return arches
    .filter((arch) => (arch.domain ?? []).some((d) => d['@_type'] === 'kvm'))
    .map((arch) => arch['@_name'] ?? 'unknown');
}

/** capabilitiesReason checks the capabilities half of KVM detection; undefined when KVM is offered. */
function capabilitiesReason(capabilitiesXml: string | null): string | undefined {
  if (capabilitiesXml === null) return 'libvirt capabilities are unavailable';
  if (XMLValidator.validate(capabilitiesXml) !== true) return 'libvirt capabilities are not valid XML';
  if (capabilitiesKvmArchs(capabilitiesXml).length === 0) {
    return "libvirt capabilities list no guest with <domain type='kvm'>";
  }
  return undefined;
}

/** devKvmReason checks that the KVM device opens read-write, as QEMU needs; undefined when it does. */
function devKvmReason(devKvmPath: string): string | undefined {
  try {
    closeSync(openSync(devKvmPath, constants.O_RDWR));
    return undefined;
  } catch (err) {
    return `cannot open ${devKvmPath} read-write: ${errorMessage(err)}`;
  }
}

/** detectKvm decides whether VMs can use KVM: libvirt must offer a kvm domain and /dev/kvm must open. */
export function detectKvm({ capabilitiesXml, devKvmPath = '/dev/kvm' }: DetectKvmOptions): KvmStatus {
  const reasons = [capabilitiesReason(capabilitiesXml), devKvmReason(devKvmPath)].filter(
    (r): r is string => r !== undefined,
  );
  return reasons.length === 0 ? { kvm: true } : { kvm: false, reason: reasons.join('; ') };
}
