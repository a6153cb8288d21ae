import { XMLParser } from 'fast-xml-parser';
import { parseCpuList } from '../../../../shared/cpulist.js';
import type { NumaTune } from '../hypervisor.js';
import { numaModeFromXml } from './states.js';

// libvirt's test driver keeps <cputune>/<numatune> in the domain XML but reports empty affinity from
// virDomainGetVcpuPinInfo / virDomainGetEmulatorPinInfo, so on test:// connections the pins are read
// from the live XML instead. These parsers mirror what the real API reports for the same XML.

type Attrs = Record<string, string | undefined>;

interface DomainXml {
  readonly vcpu?: string | (Attrs & { '#text'?: string });
  readonly cputune?: { readonly vcpupin?: Attrs[]; readonly emulatorpin?: Attrs };
  readonly numatune?: { readonly memory?: Attrs };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => name === 'vcpupin',
});

function parseDomain(xml: string): DomainXml {
  const doc = parser.parse(xml) as { domain?: DomainXml };
  return doc.domain ?? {};
}

function allCpus(hostCpus: number): number[] {
  return Array.from({ length: hostCpus }, (_, cpu) => cpu);
}

// Unpinned threads may run on the <vcpu cpuset> if given, else on every host cpu.
function defaultCpus(dom: DomainXml, hostCpus: number): number[] {
  const cpuset = typeof dom.vcpu === 'object' ? dom.vcpu.cpuset : undefined;
  return cpuset === undefined ? allCpus(hostCpus) : parseCpuList(cpuset);
}

function vcpuCount(dom: DomainXml): number {
  if (dom.vcpu === undefined) return 1;
  if (typeof dom.vcpu === 'string') return Number(dom.vcpu);
  return Number(dom.vcpu.current ?? dom.vcpu['#text'] ?? 1);
}

/** vcpuPinsFromXml gives each vCPU's host cpus from <cputune><vcpupin>, indexed by vCPU number. */
export function vcpuPinsFromXml(xml: string, hostCpus: number): number[][] {
  const dom = parseDomain(xml);
  const fallback = defaultCpus(dom, hostCpus);
  const pins: number[][] = Array.from({ length: vcpuCount(dom) }, () => fallback);
  for (const pin of dom.cputune?.vcpupin ?? []) {
    const vcpu = Number(pin.vcpu);
    if (pin.cpuset !== undefined && vcpu < pins.length) pins[vcpu] = parseCpuList(pin.cpuset);
  }
  return pins;
}

/** emulatorPinFromXml gives the emulator threads' host cpus from <cputune><emulatorpin>. */
export function emulatorPinFromXml(xml: string, hostCpus: number): number[] {
  const dom = parseDomain(xml);
  const cpuset = dom.cputune?.emulatorpin?.cpuset;
  return cpuset === undefined ? defaultCpus(dom, hostCpus) : parseCpuList(cpuset);
}

/** numaTuneFromXml gives <numatune><memory mode nodeset>; no element reads as strict with an empty nodeset. */
export function numaTuneFromXml(xml: string): NumaTune {
  const memory = parseDomain(xml).numatune?.memory;
  return { mode: numaModeFromXml(memory?.mode), nodeset: memory?.nodeset ?? '' };
}
