import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DomainXmlError } from './errors.js';

// The one reader of domain XML in the agent. Everything that looks at a domain's XML (tuning and
// metadata read-back, rebuild, the test driver's pin read-back) goes through readDomainXml and
// interprets the same DomainDoc; defaults for absent elements are decided by each interpreter, and
// written down there, not by a second parser.

/** XmlObject is one parsed element: attributes under `@_name`, text under `#text`. */
export type XmlObject = Record<string, unknown>;

/** DomainDoc is the part of a <domain> the agent reads, as written (no libvirt defaults applied). */
export interface DomainDoc {
  readonly name: string;
  readonly type: string | undefined;
  /** vcpu.max is the <vcpu> text; current is its `current` attribute (max when absent) */
  readonly vcpu: { readonly max: number; readonly current: number; readonly cpuset: string | undefined };
  /** memoryKib is <memory> converted to KiB from its unit; 0 when absent */
  readonly memoryKib: number;
  readonly vcpupins: readonly { readonly vcpu: number; readonly cpuset: string | undefined }[];
  readonly emulatorCpuset: string | undefined;
  /** numaMemory is <numatune><memory>'s attributes, or null when there is no such element */
  readonly numaMemory: { readonly mode: string | undefined; readonly nodeset: string | undefined } | null;
  readonly disks: readonly {
    readonly device: string | undefined;
    readonly file: string | undefined;
    readonly target: string | undefined;
  }[];
  /** metadata is the raw <metadata> element (namespaced children keep their prefixes) */
  readonly metadata: XmlObject | undefined;
}

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

// libvirt's scaled-integer units (docs: formatdomain "memory"); bytes are rounded down to KiB
const KIB_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1_000_000 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  gb: 1e9 / 1024,
  t: 1024 ** 3,
  tib: 1024 ** 3,
};

/** parseDomainElement validates domain XML and returns its <domain> element as a plain object. */
export function parseDomainElement(domainXml: string): XmlObject {
  const valid = XMLValidator.validate(domainXml);
  if (valid !== true) {
    throw new DomainXmlError('invalid_domain_xml', `Cannot parse domain XML: ${valid.err.msg}`, {
      details: { line: valid.err.line },
    });
  }
  const raw = (parser.parse(domainXml) as XmlObject).domain;
  // an empty <domain/> parses as '' and is read as a domain with no elements
  const domain = raw === '' ? {} : asObject(raw);
  if (!domain) throw new DomainXmlError('invalid_domain_xml', 'Cannot parse domain XML: no <domain> element');
  return domain;
}

/** readDomainXml parses domain XML once into the fields the agent reads. */
export function readDomainXml(domainXml: string): DomainDoc {
  const domain = parseDomainElement(domainXml);
  const cputune = asObject(domain.cputune);
  const memory = asObject(asObject(domain.numatune)?.memory);
  const vcpu = domain.vcpu;
  const max = Number(textOf(vcpu)?.trim() || Number.NaN);
  const current = Number(attrOf(asObject(vcpu), 'current') ?? Number.NaN);
  return {
    name: textOf(domain.name) ?? '',
    type: attrOf(domain, 'type'),
    vcpu: {
      max: Number.isSafeInteger(max) ? max : 0,
      current: Number.isSafeInteger(current) ? current : Number.isSafeInteger(max) ? max : 0,
      cpuset: attrOf(asObject(vcpu), 'cpuset'),
    },
    memoryKib: memoryKibOf(domain.memory),
    vcpupins: arrayOf(cputune?.vcpupin).map((p) => ({
      vcpu: Number(attrOf(asObject(p), 'vcpu')),
      cpuset: attrOf(asObject(p), 'cpuset'),
    })),
    emulatorCpuset: attrOf(asObject(cputune?.emulatorpin), 'cpuset'),
    numaMemory: memory ? { mode: attrOf(memory, 'mode'), nodeset: attrOf(memory, 'nodeset') } : null,
    disks: arrayOf(asObject(domain.devices)?.disk).map((d) => ({
      device: attrOf(asObject(d), 'device'),
      file: attrOf(asObject(asObject(d)?.source), 'file'),
      target: attrOf(asObject(asObject(d)?.target), 'dev'),
    })),
    metadata: asObject(domain.metadata),
  };
}

function memoryKibOf(element: unknown): number {
  const amount = Number(textOf(element)?.trim() ?? Number.NaN);
  const unit = (attrOf(asObject(element), 'unit') ?? 'KiB').toLowerCase();
  const scale = KIB_PER_UNIT[unit];
  return Number.isFinite(amount) && scale !== undefined ? Math.floor(amount * scale) : 0;
}

/** asObject narrows a parsed value to an element object. */
export function asObject(value: unknown): XmlObject | undefined {
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

/** textOf is an element's text (a bare string or its `#text`). */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const text = asObject(value)?.['#text'];
  return typeof text === 'string' ? text : value === '' ? '' : undefined;
}
