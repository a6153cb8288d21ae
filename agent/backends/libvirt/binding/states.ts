import type { DomainState, NumaTune, PausedReason } from '../hypervisor.js';
import { DOMAIN_STATES, NUMA_MODES, PAUSED_REASONS } from './constants.js';

/** domainStateName maps virDomainState to its name; unknown future values read as 'nostate'. */
export function domainStateName(state: number): DomainState {
  return DOMAIN_STATES[state] ?? 'nostate';
}

/** pausedReasonName maps virDomainPausedReason to its word; unknown future values read as 'unknown'. */
export function pausedReasonName(reason: number): PausedReason {
  return PAUSED_REASONS[reason] ?? 'unknown';
}

/** numaModeName maps virDomainNumatuneMemMode to its name. */
export function numaModeName(mode: number): NumaTune['mode'] {
  return NUMA_MODES[mode] ?? 'unknown';
}

/** numaModeFromXml maps the XML `mode` attribute to NumaTune's mode; libvirt's default is strict. */
export function numaModeFromXml(mode: string | undefined): NumaTune['mode'] {
  if (mode === undefined) return 'strict';
  return (NUMA_MODES as readonly string[]).includes(mode) ? (mode as NumaTune['mode']) : 'unknown';
}

/** cpumapToCpus lists the set bits of a libvirt cpumap (bit n of byte n/8 is host cpu n). */
export function cpumapToCpus(map: Uint8Array, cpuCount: number): number[] {
  const cpus: number[] = [];
  for (let cpu = 0; cpu < cpuCount; cpu++) {
    if (((map[cpu >> 3] ?? 0) >> (cpu & 7)) & 1) cpus.push(cpu);
  }
  return cpus;
}

/** cpumapLength is VIR_CPU_MAPLEN: bytes needed for a cpumap covering cpuCount host cpus. */
export function cpumapLength(cpuCount: number): number {
  return Math.ceil(cpuCount / 8);
}
