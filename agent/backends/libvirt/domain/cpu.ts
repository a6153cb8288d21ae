import { el, type XmlNode } from './xmlnode.js';

/** CpuMode is how the guest CPU model is chosen; 'default' leaves libvirt's default model. */
export type CpuMode = 'default' | 'host-model' | 'host-passthrough' | 'maximum';

/** GuestCpuTopology is the sockets × dies × cores × threads shape the guest sees. */
export interface GuestCpuTopology {
  readonly sockets: number;
  readonly dies: number;
  readonly cores: number;
  readonly threads: number;
}

/** TopologyHints tell guestCpuTopology whether pins sit on hyperthread siblings. */
export interface TopologyHints {
  /** threadsPerCore of the host; 1 means no SMT, so the guest gets one thread per core */
  readonly threadsPerCore?: number;
  /** areSiblings checks two host threads share a core; without it pairs are trusted as placed */
  readonly areSiblings?: (a: number, b: number) => boolean;
}

/** guestCpuTopology gives threads=2 only when every consecutive pin pair is a sibling pair, else threads=1. */
export function guestCpuTopology(pins: readonly number[], hints: TopologyHints = {}): GuestCpuTopology {
  const vcpus = pins.length;
  const smt = (hints.threadsPerCore ?? 1) >= 2 && vcpus % 2 === 0 && pinsArePairs(pins, hints.areSiblings);
  return smt
    ? { sockets: 1, dies: 1, cores: vcpus / 2, threads: 2 }
    : { sockets: 1, dies: 1, cores: vcpus, threads: 1 };
}

function pinsArePairs(pins: readonly number[], areSiblings?: (a: number, b: number) => boolean): boolean {
  for (let i = 0; i + 1 < pins.length; i += 2) {
    const a = pins[i]!;
    const b = pins[i + 1]!;
    if (a === b) return false;
    if (areSiblings && !areSiblings(a, b)) return false;
  }
  return true;
}

/** effectiveCpuMode picks the guest CPU model: TCG cannot emulate the host CPU, so it gets 'maximum'. */
export function effectiveCpuMode(kvm: boolean, requested?: CpuMode): CpuMode {
  return requested ?? (kvm ? 'default' : 'maximum');
}

/** cpuElement renders <cpu>; host-passthrough disables arch-capabilities, which QEMU here cannot set (MSR 0x10a). */
export function cpuElement(mode: CpuMode, topology: GuestCpuTopology): XmlNode {
  return el(
    'cpu',
    mode === 'default' ? {} : { mode },
    el('topology', {
      sockets: topology.sockets,
      dies: topology.dies,
      cores: topology.cores,
      threads: topology.threads,
    }),
    mode === 'host-passthrough' && el('feature', { policy: 'disable', name: 'arch-capabilities' }),
  );
}
