import type { NodeDetail, NodeThread } from '../../api/fleet.js';
import type { VmView } from '../../api/vms.js';

/** HolderKind is what holds a host thread, in the order the map prefers when several apply. */
export type HolderKind = 'vm' | 'emulator' | 'reserved' | 'free';

/** ThreadHolder says who holds one host thread: VMs with their vCPU numbers, emulator owners. */
export interface ThreadHolder {
  thread: NodeThread;
  numa: number;
  kind: HolderKind;
  /** vcpus lists each VM pinned here and which of its vCPUs */
  vcpus: { vm: string; vcpu: number }[];
  /** emulatorOf names the VMs whose emulator threads may run here */
  emulatorOf: string[];
}

/** CoreCell is one physical core: its hyperthread siblings in id order. */
export interface CoreCell {
  socket: number;
  numa: number;
  core: number;
  threads: ThreadHolder[];
}

/** holders classifies every thread of a node from its detail and the VMs placed on it. */
export function holders(node: NodeDetail, vms: readonly VmView[]): ThreadHolder[] {
  const mine = vms.filter((v) => v.node_id === node.id);
  return node.numa_nodes.flatMap((nn) =>
    nn.threads.map((t) => {
      const vcpus = mine.flatMap((v) =>
        v.vcpu_pins.flatMap((p, i) => (p === t.id ? [{ vm: v.name, vcpu: i }] : [])),
      );
      // a VM not visible in the list (another tenant's) still shows by name from the node detail
      for (const name of t.vms) if (!vcpus.some((x) => x.vm === name)) vcpus.push({ vm: name, vcpu: -1 });
      const emulatorOf = mine.filter((v) => v.emulator_cpuset.includes(t.id)).map((v) => v.name);
      const kind: HolderKind =
        vcpus.length > 0 ? 'vm' : emulatorOf.length > 0 ? 'emulator' : t.host_reserved ? 'reserved' : 'free';
      return { thread: t, numa: nn.id, kind, vcpus, emulatorOf };
    }),
  );
}

/** cores groups classified threads into physical cores by socket, NUMA node and core id. */
export function cores(threads: readonly ThreadHolder[]): CoreCell[] {
  const byKey = new Map<string, CoreCell>();
  for (const t of threads) {
    const key = `${t.thread.socket_id}/${t.numa}/${t.thread.core_id}`;
    const cell = byKey.get(key) ?? {
      socket: t.thread.socket_id,
      numa: t.numa,
      core: t.thread.core_id,
      threads: [],
    };
    cell.threads.push(t);
    byKey.set(key, cell);
  }
  const out = [...byKey.values()];
  for (const c of out) c.threads.sort((a, b) => a.thread.id - b.thread.id);
  return out.sort((a, b) => a.socket - b.socket || a.numa - b.numa || a.core - b.core);
}

/** describe is the words for one thread: the same text a screen reader and the hover panel get. */
export function describe(t: ThreadHolder): string {
  const where = `Thread ${t.thread.id} (socket ${t.thread.socket_id}, NUMA ${t.numa}, core ${t.thread.core_id})`;
  const parts: string[] = [];
  for (const v of t.vcpus) parts.push(v.vcpu >= 0 ? `${v.vm} vCPU ${v.vcpu}` : v.vm);
  if (t.emulatorOf.length) parts.push(`emulator threads of ${t.emulatorOf.join(', ')}`);
  if (t.kind === 'reserved' || (t.thread.host_reserved && t.kind !== 'emulator')) parts.push('host-reserved');
  if (t.kind === 'free') parts.push('free');
  return `${where}: ${parts.join('; ')}`;
}

/** vmKeys gives each VM on the node a short key (A, B, …) so the map does not rely on colour alone. */
export function vmKeys(threads: readonly ThreadHolder[]): Map<string, string> {
  const names = [...new Set(threads.flatMap((t) => [...t.vcpus.map((v) => v.vm), ...t.emulatorOf]))].sort();
  return new Map(names.map((n, i) => [n, keyOf(i)]));
}

function keyOf(i: number): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return i < 26 ? letters[i]! : `${letters[Math.floor(i / 26) - 1]}${letters[i % 26]}`;
}
