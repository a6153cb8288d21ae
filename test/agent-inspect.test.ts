import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from './helpers/agent.js';
import { FIXTURES, requireBuild } from './helpers/procs.js';

// `vmpool-agent inspect` on the seed-003 fixture tree (exact numbers known) and on this machine,
// where `lscpu -p` is the independent witness.

const execFileP = promisify(execFile);

interface Topo {
  kvm: boolean;
  sockets: number;
  cores_per_socket: number;
  threads_per_core: number;
  numa_nodes: { id: number; cpus: { id: number; siblings: number[] }[] }[];
}

async function inspect(args: string[]): Promise<Topo> {
  const run = await runAgent(['inspect', '--json', ...args]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Topo;
}

/** lscpuRows parses `lscpu -p=CPU,CORE,SOCKET,NODE` into one row per online thread. */
async function lscpuRows(): Promise<{ cpu: number; core: number; socket: number; node: number }[]> {
  const { stdout } = await execFileP('lscpu', ['-p=CPU,CORE,SOCKET,NODE']);
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [cpu, core, socket, node] = l.split(',');
      // NODE is empty on kernels without NUMA: that is one node, 0
      return { cpu: Number(cpu), core: Number(core), socket: Number(socket), node: Number(node || 0) };
    });
}

beforeAll(() => requireBuild());

describe('vmpool-agent inspect', () => {
  it('reads the seed-003 fixture: 2 NUMA nodes of 36 threads, 18 cores per socket, 0 and 36 siblings', async () => {
    const t = await inspect([
      '--sysfs-root',
      join(FIXTURES, 'sysfs/seed003'),
      '--libvirt-uri',
      'test:///default',
    ]);
    expect(t.numa_nodes.map((n) => n.cpus.length)).toEqual([36, 36]);
    expect(t.sockets).toBe(2);
    expect(t.cores_per_socket).toBe(18);
    expect(t.threads_per_core).toBe(2);
    const thread0 = t.numa_nodes[0]?.cpus.find((c) => c.id === 0);
    expect(thread0?.siblings).toEqual([0, 36]);
    // the test driver offers no kvm guest, so the fixture host must not claim KVM
    expect(t.kvm).toBe(false);
  });

  it('matches lscpu on this machine: threads, NUMA nodes, sockets and node of every thread', async () => {
    const t = await inspect(['--libvirt-uri', 'qemu:///system']);
    const rows = await lscpuRows();
    const threads = t.numa_nodes.flatMap((n) => n.cpus.map((c) => ({ cpu: c.id, node: n.id })));
    expect(threads.length).toBe(rows.length);
    expect(t.numa_nodes.length).toBe(new Set(rows.map((r) => r.node)).size);
    expect(t.sockets).toBe(new Set(rows.map((r) => r.socket)).size);
    expect(threads.sort((a, b) => a.cpu - b.cpu)).toEqual(rows.map((r) => ({ cpu: r.cpu, node: r.node })));
    // KVM is proven by the probe guest: true needs /dev/kvm; false always carries its reason
    if (t.kvm) expect(existsSync('/dev/kvm')).toBe(true);
    else expect((t as { kvm_reason?: string }).kvm_reason).toMatch(/probe|dev\/kvm|capabilities/);
  }, 30_000);

  it('with a /dev/kvm that is missing, says so (no probe runs)', async () => {
    const t = await inspect(['--libvirt-uri', 'qemu:///system', '--dev-kvm', '/nonexistent/kvm']);
    expect(t.kvm).toBe(false);
    expect((t as { kvm_reason?: string }).kvm_reason).toMatch(/cannot open \/nonexistent\/kvm/);
  });
});
