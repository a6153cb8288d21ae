import { parseCpuList } from '../../../../shared/cpulist.js';
import { numaModeFromXml } from '../binding/states.js';
import type { NumaTune } from '../hypervisor.js';
import { type DomainDoc, readDomainXml } from './read.js';

// libvirt's test driver keeps <cputune>/<numatune> in the domain XML but reports empty affinity from
// virDomainGetVcpuPinInfo / virDomainGetEmulatorPinInfo, so with pinSource 'xml' the pins are read
// from the live XML instead. Unlike parseDomainTuning (what the XML states), these apply the
// defaults the real API reports for the same XML: an unpinned thread may run on <vcpu cpuset> or
// on every host cpu, pins are listed for the current vCPUs, and no <numatune> reads as strict.

function allCpus(hostCpus: number): number[] {
  return Array.from({ length: hostCpus }, (_, cpu) => cpu);
}

// Unpinned threads may run on the <vcpu cpuset> if given, else on every host cpu.
function defaultCpus(doc: DomainDoc, hostCpus: number): number[] {
  return doc.vcpu.cpuset === undefined ? allCpus(hostCpus) : parseCpuList(doc.vcpu.cpuset);
}

/** vcpuPinsFromXml gives each vCPU's host cpus from <cputune><vcpupin>, indexed by vCPU number. */
export function vcpuPinsFromXml(xml: string, hostCpus: number): number[][] {
  const doc = readDomainXml(xml);
  const fallback = defaultCpus(doc, hostCpus);
  // a domain without <vcpu> has one vCPU
  const count = doc.vcpu.current || 1;
  const pins: number[][] = Array.from({ length: count }, () => fallback);
  for (const pin of doc.vcpupins) {
    if (pin.cpuset !== undefined && pin.vcpu < pins.length) pins[pin.vcpu] = parseCpuList(pin.cpuset);
  }
  return pins;
}

/** emulatorPinFromXml gives the emulator threads' host cpus from <cputune><emulatorpin>. */
export function emulatorPinFromXml(xml: string, hostCpus: number): number[] {
  const doc = readDomainXml(xml);
  return doc.emulatorCpuset === undefined ? defaultCpus(doc, hostCpus) : parseCpuList(doc.emulatorCpuset);
}

/** numaTuneFromXml gives <numatune><memory mode nodeset>; no element reads as strict with an empty nodeset. */
export function numaTuneFromXml(xml: string): NumaTune {
  const memory = readDomainXml(xml).numaMemory;
  return { mode: numaModeFromXml(memory?.mode), nodeset: memory?.nodeset ?? '' };
}
