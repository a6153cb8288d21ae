import { SEED_TARGET } from './devices.js';
import { parseCpuList } from '../../../../shared/cpulist.js';
import { DomainXmlError } from './errors.js';
import { asObject, type DomainDoc, readDomainXml, textOf, type XmlObject } from './read.js';
import { VMPOOL_XMLNS, type VmpoolMetadata } from './metadata.js';

/** DomainTuning is the pinning, NUMA binding, virt type and disks a domain XML actually carries. */
export interface DomainTuning {
  /** vcpuPins[i] are the host threads vCPU i may run on; [] when vCPU i is not pinned */
  readonly vcpuPins: number[][];
  readonly emulatorCpus: number[];
  readonly numa: { readonly mode: string; readonly nodeset: string } | null;
  readonly kvm: boolean;
  readonly diskPaths: string[];
  /** cdromPaths are the seed ISO's files: the vdz disk (or a device='cdrom' disk of older domains) */
  readonly cdromPaths: string[];
}

/** parseVmpoolMetadata reads vmpool's <metadata> (matched by namespace, any prefix); null when absent. */
export function parseVmpoolMetadata(domainXml: string): (VmpoolMetadata & { readonly name: string }) | null {
  const doc = readDomainXml(domainXml);
  const found = findVmpoolElement(doc.metadata);
  if (!found) return null;
  const field = (key: string): string | undefined => textOf(found.element[`${found.prefix}${key}`]);
  const id = field('id');
  if (id === undefined) throw new DomainXmlError('invalid_domain_xml', 'Cannot read vmpool metadata: no id');
  const vmidText = field('vmid');
  const vmid = vmidText === undefined ? undefined : Number(vmidText.trim());
  if (vmid !== undefined && !Number.isSafeInteger(vmid)) {
    throw new DomainXmlError(
      'invalid_domain_xml',
      `Cannot read vmpool metadata: vmid ${JSON.stringify(vmidText)}`,
    );
  }
  const tenant = field('tenant');
  const sha = field('spec-sha256');
  const cpuPolicy = oneOf(field('cpu-policy'), ['dedicated', 'shared'] as const);
  const cpuMode = oneOf(field('cpu-mode'), ['default', 'host-model', 'host-passthrough', 'maximum'] as const);
  const bridge = field('bridge');
  return {
    id,
    name: doc.name,
    ...(vmid !== undefined && { vmid }),
    ...(tenant !== undefined && { tenant }),
    ...(sha !== undefined && { specSha256: sha }),
    ...(cpuPolicy !== undefined && { cpuPolicy }),
    ...(cpuMode !== undefined && { cpuMode }),
    ...(bridge !== undefined && { bridge }),
  };
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === value?.trim());
}

function findVmpoolElement(metadata: XmlObject | undefined): { element: XmlObject; prefix: string } | null {
  for (const [key, value] of Object.entries(metadata ?? {})) {
    const element = asObject(value);
    if (!element || key.startsWith('@_') || key === '#text') continue;
    const colon = key.indexOf(':');
    const prefix = colon < 0 ? '' : key.slice(0, colon);
    const declared = element[prefix === '' ? '@_xmlns' : `@_xmlns:${prefix}`];
    if (declared === VMPOOL_XMLNS) return { element, prefix: prefix === '' ? '' : `${prefix}:` };
  }
  return null;
}

/** parseDomainTuning reads pins, emulator cpuset, numatune, virt type and disk files as the XML states them. */
export function parseDomainTuning(domainXml: string): DomainTuning {
  const doc = readDomainXml(domainXml);
  const files = (disks: DomainDoc['disks']): string[] =>
    disks.map((d) => d.file).filter((p): p is string => p !== undefined);
  return {
    vcpuPins: vcpuPinsOf(doc),
    emulatorCpus: parseCpuList(doc.emulatorCpuset ?? ''),
    // an absent mode is libvirt's default, strict
    numa: doc.numaMemory
      ? { mode: doc.numaMemory.mode ?? 'strict', nodeset: doc.numaMemory.nodeset ?? '' }
      : null,
    kvm: doc.type === 'kvm',
    cdromPaths: files(doc.disks.filter((d) => d.device === 'cdrom' || d.target === SEED_TARGET)),
    diskPaths: files(doc.disks),
  };
}

// unpinned vCPUs read as [] here: this is what the XML states, not what libvirt would report
function vcpuPinsOf(doc: DomainDoc): number[][] {
  const pins: number[][] = Array.from({ length: doc.vcpu.max }, () => []);
  for (const pin of doc.vcpupins) {
    if (Number.isSafeInteger(pin.vcpu) && pin.vcpu >= 0) pins[pin.vcpu] = parseCpuList(pin.cpuset ?? '');
  }
  return pins;
}
