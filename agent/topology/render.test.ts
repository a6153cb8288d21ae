import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { HostTopology, NumaNode } from '../../shared/topology.js';
import { readHostTopology } from './detect.js';
import { renderTopologyTable, summariseSiblings } from './render.js';

const fixtureRoot = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/sysfs/${name}`, import.meta.url));
const read = (name: string, kvm = false): Promise<HostTopology> =>
  readHostTopology({
    sysfsRoot: fixtureRoot(name),
    hostname: `${name}-host`,
    capabilitiesXml: kvm
      ? "<capabilities><guest><arch name='x86_64'><domain type='kvm'/></arch></guest></capabilities>"
      : null,
    devKvmPath: kvm ? '/dev/null' : '/nonexistent/kvm',
  });

const pairNode = (pairs: number): NumaNode => ({
  id: 0,
  memory_mb: 1,
  free_memory_mb: 1,
  cpus: Array.from({ length: pairs * 2 }, (_, i) => {
    const first = i % pairs;
    return { id: i, core_id: first, socket_id: 0, siblings: [first, first + pairs] };
  }),
});

describe('summariseSiblings', () => {
  it.each([
    [0, '-'],
    [2, '0/2 1/3'],
    [8, '0/8 1/9 2/10 3/11 4/12 5/13 6/14 7/15'],
    [18, '0/18 1/19 2/20 3/21 4/22 5/23 6/24 7/25 … (+10 more)'],
  ])('summarises a node with %i sibling pairs as %j', (pairs, text) => {
    expect(summariseSiblings(pairNode(pairs))).toBe(text);
  });
});

describe('renderTopologyTable', () => {
  it('shows the seed-003 host summary and one aligned row per NUMA node', async () => {
    const text = renderTopologyTable(await read('seed003', true));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('host          seed003-host');
    expect(lines[1]).toBe('kvm           yes');
    expect(text).toContain('cpu model     Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz');
    expect(text).toContain('cpus          2 sockets × 18 cores × 2 threads (72 online)');
    expect(text).toContain('memory        262144 MiB total, 258048 MiB free');
    expect(text).toContain('offline cpus  none');
    expect(lines.slice(lines.indexOf('') + 1)).toEqual([
      'NODE  MEMORY MiB  FREE MiB  THREADS  CPULIST      SIBLINGS',
      '   0      131072    129024       36  0-17,36-53   0/36 1/37 2/38 3/39 4/40 5/41 6/42 7/43 … (+10 more)',
      '   1      131072    129024       36  18-35,54-71  18/54 19/55 20/56 21/57 22/58 23/59 24/60 25/61 … (+10 more)',
    ]);
  });

  it('shows why KVM is unusable, the offline CPUs and a memory-only node', async () => {
    const text = renderTopologyTable(await read('sparse-offline'));
    expect(text).toMatch(/^kvm +no \(libvirt capabilities are unavailable; cannot open \/nonexistent\/kvm/m);
    expect(text).toMatch(/^offline cpus +13$/m);
    expect(text).toMatch(/^ +1 +16384 +15000 +7 +4-7,12,14-15 +4\/12 5 6\/14 7\/15$/m);
    expect(text).toMatch(/^ +2 +8192 +8000 +0 +- +-$/m);
  });

  it('leaves no trailing spaces', async () => {
    const text = renderTopologyTable(await read('numa4-nosmt'));
    expect(text.split('\n').filter((line) => / $/.test(line))).toEqual([]);
    expect(text).toContain('2 sockets × 16 cores × 1 thread (32 online)');
  });
});
