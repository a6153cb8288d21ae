import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCpuList } from '../../shared/cpulist.js';
import { type Coordinator, FIXTURES, makeImagesDir, type Proc, startAgent, virsh, waitFor } from './procs.js';

/** SEED003_SYSFS is the sysfs fixture of the seed-003 host (2 sockets × 18 cores × 2 threads). */
export const SEED003_SYSFS = join(FIXTURES, 'sysfs/seed003');
/** SEED003_RESERVED are the seed's host + emulator threads: cores 16-17 of each socket and siblings. */
export const SEED003_RESERVED = '16-17,52-53,34-35,70-71';

/** FakeHost is a test-driver agent's images dir and libvirt URI (its domains live in that process only). */
export interface FakeHost {
  imagesDir: string;
  uri: string;
}

/** makeFakeHost creates an images dir holding its own copy of the seed-003 test-driver host XML. */
export async function makeFakeHost(prefix: string): Promise<FakeHost> {
  const imagesDir = await makeImagesDir(prefix);
  const xml = join(imagesDir, 'seed003-host.xml');
  await copyFile(join(FIXTURES, 'libvirt/seed003-host.xml'), xml);
  return { imagesDir, uri: `test://${xml}` };
}

/** startFakeAgent runs an agent on a fake seed-003 host with the seed's host-reserved threads. */
export function startFakeAgent(c: Coordinator, nodeId: string, host: FakeHost, extra: string[] = []): Proc {
  return startAgent(c.url, [
    '--node-id',
    nodeId,
    '--libvirt-uri',
    host.uri,
    // libvirt's test driver reports empty pin affinity: read pins back from the domain XML
    '--pin-source',
    'xml',
    '--sysfs-root',
    SEED003_SYSFS,
    '--images-dir',
    host.imagesDir,
    '--host-reserved-cpus',
    SEED003_RESERVED,
    ...extra,
  ]);
}

/** NodeRow is the part of a GET /v1/nodes row the tests read. */
export interface NodeRow {
  id: string;
  state: string;
  reserved: boolean;
  vms: string[];
  vcpu_used: number;
  vcpu_total: number;
  ram_used_mb: number;
  ram_total_mb: number;
}

/** listNodes reads the allocation table as the admin. */
export async function listNodes(c: Coordinator): Promise<NodeRow[]> {
  const r = await c.api('GET', '/v1/nodes');
  if (r.status !== 200) throw new Error(`GET /v1/nodes: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.nodes as NodeRow[];
}

/** waitNodesReady waits until every named node shows `ready` in GET /v1/nodes. */
export async function waitNodesReady(
  c: Coordinator,
  ids: string[],
  logs: () => string = () => '',
  timeoutMs = 30_000,
): Promise<NodeRow[]> {
  const ready = await waitFor(
    async () => {
      const nodes = await listNodes(c);
      return ids.every((id) => nodes.some((n) => n.id === id && n.state === 'ready')) ? nodes : null;
    },
    { timeoutMs, what: `nodes ${ids.join(',')} ready\n${logs()}` },
  );
  return ready!;
}

/** waitNodeState waits until one node shows `state` and returns how long that took. */
export async function waitNodeState(
  c: Coordinator,
  id: string,
  state: string,
  timeoutMs = 30_000,
): Promise<number> {
  const t0 = Date.now();
  await waitFor(async () => (await listNodes(c)).some((n) => n.id === id && n.state === state), {
    timeoutMs,
    intervalMs: 50,
    what: `node ${id} ${state}`,
  });
  return Date.now() - t0;
}

/** vmRequest is a POST /v1/vms body on the e2e `blank` image. */
export function vmRequest(
  name: string,
  vcpu: number,
  memoryMb: number,
  placement: Record<string, unknown> = {},
): Record<string, unknown> {
  return { name, vcpu_count: vcpu, memory_mb: memoryMb, disk_size_gb: 2, image: 'blank', placement };
}

/** range builds [from, from+1, …, to]. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** siblingPins interleaves threads with their siblings (+36 on seed 003): [a, a+36, a+1, a+37, …]. */
export function siblingPins(from: number, to: number): number[] {
  return range(from, to).flatMap((t) => [t, t + 36]);
}

/** assertNoSharedThreads throws when a host thread appears in two dedicated VMs' pins on one node. */
export function sharedThreads(
  vms: { node_id: string | null; vcpu_pins: number[]; cpu_policy: string | null }[],
): string[] {
  const seen = new Map<string, number>();
  for (const vm of vms) {
    if (vm.cpu_policy !== 'dedicated' || !vm.node_id) continue;
    for (const t of vm.vcpu_pins) seen.set(`${vm.node_id}:${t}`, (seen.get(`${vm.node_id}:${t}`) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** readSidecar reads the sidecar the agent keeps beside a VM's root disk. */
export async function readSidecar(imagesDir: string, vmId: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(imagesDir, 'vms', vmId, 'root.qcow2.vmpool.json'), 'utf8'));
}

/** domainExists says whether real libvirtd knows a domain by name. */
export async function domainExists(name: string): Promise<boolean> {
  const out = await virsh(['list', '--all', '--name']);
  return out.split('\n').some((l) => l.trim() === name);
}

/** removeDomains destroys and undefines every real libvirt domain whose name contains `marker`. */
export async function removeDomains(marker: string): Promise<void> {
  const out = await virsh(['list', '--all', '--name']).catch(() => '');
  for (const name of out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes(marker))) {
    await virsh(['destroy', name]).catch(() => undefined);
    await virsh(['undefine', name, '--nvram']).catch(() => virsh(['undefine', name]).catch(() => undefined));
  }
}

/** virshPins reads `virsh vcpupin DOMAIN` as one host-thread list per vCPU, e.g. [[0], [1]]. */
export async function virshPins(domain: string): Promise<number[][]> {
  const out = await virsh(['vcpupin', domain]);
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\S+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => parseCpuList(m[2]!));
}

/** virshEmulatorPin reads `virsh emulatorpin DOMAIN` as a host-thread list. */
export async function virshEmulatorPin(domain: string): Promise<number[]> {
  const m = /\*:\s*(\S+)/.exec(await virsh(['emulatorpin', domain]));
  return m ? parseCpuList(m[1]!) : [];
}

/** virshNumatune reads `virsh numatune DOMAIN` as {mode, nodeset}. */
export async function virshNumatune(domain: string): Promise<{ mode: string; nodeset: string }> {
  const out = await virsh(['numatune', domain]);
  return {
    mode: /numa_mode\s*:\s*(\S+)/.exec(out)?.[1] ?? '',
    nodeset: /numa_nodeset\s*:\s*(\S+)/.exec(out)?.[1] ?? '',
  };
}
