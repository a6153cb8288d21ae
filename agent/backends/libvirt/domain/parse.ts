import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseCpuList } from '../../../../shared/cpulist.js';
import { DomainXmlError } from './errors.js';
import { VMPOOL_XMLNS, type VmpoolMetadata } from './metadata.js';

/** DomainTuning is the pinning, NUMA binding, virt type and disks a domain XML actually carries. */
export interface DomainTuning {
  /** vcpuPins[i] are the host threads vCPU i may run on; [] when vCPU i is not pinned */
  readonly vcpuPins: number[][];
  readonly emulatorCpus: number[];
  readonly numa: { readonly mode: string; readonly nodeset: string } | null;
  readonly kvm: boolean;
  readonly diskPaths: string[];
  /** cdromPaths are the files behind device='cdrom' disks (vmpool's seed ISO) */
  readonly cdromPaths: string[];
}

type XmlObject = Record<string, unknown>;

const ARRAY_ELEMENTS = new Set(['vcpupin', 'disk', 'interface']);
// trimValues off so text round-trips exactly; htmlEntities on so numeric refs (&#10;) decode once
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  htmlEntities: true,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
});

/** parseDomainElement validates domain XML and returns its <domain> element as a plain object. */
export function parseDomainElement(domainXml: string): XmlObject {
  const valid = XMLValidator.validate(domainXml);
  if (valid !== true) {
    throw new DomainXmlError('invalid_domain_xml', `Cannot parse domain XML: ${valid.err.msg}`, {
      details: { line: valid.err.line },
    });
  }
  const domain = asObject((parser.parse(domainXml) as XmlObject).domain);
  if (!domain) throw new DomainXmlError('invalid_domain_xml', 'Cannot parse domain XML: no <domain> element');
  return domain;
}

/** parseVmpoolMetadata reads vmpool's <metadata> (matched by namespace, any prefix); null when absent. */
export function parseVmpoolMetadata(domainXml: string): (VmpoolMetadata & { readonly name: string }) | null {
  const domain = parseDomainElement(domainXml);
  const found = findVmpoolElement(asObject(domain.metadata));
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
    name: textOf(domain.name) ?? '',
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

/** parseDomainTuning reads pins, emulator cpuset, numatune, virt type and disk files from domain XML. */
export function parseDomainTuning(domainXml: string): DomainTuning {
  const domain = parseDomainElement(domainXml);
  const cputune = asObject(domain.cputune);
  const memory = asObject(asObject(domain.numatune)?.memory);
  const devices = asObject(domain.devices);
  return {
    vcpuPins: vcpuPinsOf(Number(textOf(domain.vcpu)?.trim() ?? 0), cputune),
    emulatorCpus: parseCpuList(attrOf(asObject(cputune?.emulatorpin), 'cpuset') ?? ''),
    numa: memory
      ? { mode: attrOf(memory, 'mode') ?? 'strict', nodeset: attrOf(memory, 'nodeset') ?? '' }
      : null,
    kvm: attrOf(domain, 'type') === 'kvm',
    cdromPaths: arrayOf(devices?.disk)
      .filter((d) => attrOf(asObject(d), 'device') === 'cdrom')
      .map((d) => attrOf(asObject(asObject(d)?.source), 'file'))
      .filter((p): p is string => p !== undefined),
    diskPaths: arrayOf(devices?.disk)
      .map((d) => attrOf(asObject(asObject(d)?.source), 'file'))
      .filter((p): p is string => p !== undefined),
  };
}

function vcpuPinsOf(vcpus: number, cputune: XmlObject | undefined): number[][] {
  const pins: number[][] = Array.from({ length: Number.isSafeInteger(vcpus) ? vcpus : 0 }, () => []);
  for (const pin of arrayOf(cputune?.vcpupin)) {
    const vcpu = Number(attrOf(asObject(pin), 'vcpu'));
    if (Number.isSafeInteger(vcpu) && vcpu >= 0)
      pins[vcpu] = parseCpuList(attrOf(asObject(pin), 'cpuset') ?? '');
  }
  return pins;
}

function asObject(value: unknown): XmlObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as XmlObject)
    : undefined;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function attrOf(element: XmlObject | undefined, name: string): string | undefined {
  const value = element?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const text = asObject(value)?.['#text'];
  return typeof text === 'string' ? text : value === '' ? '' : undefined;
}
