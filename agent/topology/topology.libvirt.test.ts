import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readHostTopology } from './detect.js';
import { detectKvm } from './kvm.js';

const libvirtFixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/libvirt/${name}`, import.meta.url));
const sysfsFixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/sysfs/${name}`, import.meta.url));

const virsh = (uri: string, ...args: string[]) =>
  execFileSync('virsh', ['-c', uri, ...args], { encoding: 'utf8', timeout: 30_000 });

function nodeinfo(uri: string): Record<string, string> {
  const pairs = virsh(uri, 'nodeinfo')
    .split('\n')
    .map((line) => /^(.+?):\s+(.+)$/.exec(line))
    .flatMap((m) => (m ? [[m[1]!, m[2]!] as const] : []));
  return Object.fromEntries(pairs);
}

describe('KVM detection against the real libvirtd', () => {
  it('reports KVM usable from qemu:///system capabilities and /dev/kvm', () => {
    const status = detectKvm({ capabilitiesXml: virsh('qemu:///system', 'capabilities') });
    expect(status).toEqual({ kvm: true });
  });

  it('reports KVM unusable from the test driver, whose guests offer only type test', () => {
    const status = detectKvm({ capabilitiesXml: virsh('test:///default', 'capabilities') });
    expect(status.kvm).toBe(false);
    expect(status.reason).toMatch(/no guest with <domain type='kvm'>/);
  });
});

describe('libvirt test-driver host fixtures match the sysfs fixtures', () => {
  it.each([
    ['seed003-host.xml', 'seed003'],
    ['numa4-nosmt-host.xml', 'numa4-nosmt'],
  ])('%s opens and agrees with sysfs fixture %s on counts', async (xml, sysfs) => {
    const info = nodeinfo(`test://${libvirtFixture(xml)}`);
    const topo = await readHostTopology({ sysfsRoot: sysfsFixture(sysfs), devKvmPath: '/nonexistent' });
    const threads = topo.numa_nodes.reduce((sum, node) => sum + node.cpus.length, 0);
    expect(Number(info['CPU(s)'])).toBe(threads);
    expect(Number(info['NUMA cell(s)'])).toBe(topo.numa_nodes.length);
    expect(Number(info['Thread(s) per core'])).toBe(topo.threads_per_core);
    expect(Number.parseInt(info['Memory size'] ?? '', 10)).toBe(topo.memory_mb * 1024);
  });
});
