import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHostTopology } from './detect.js';
import { readFreeMemory } from './memory.js';

const SEED003 = join(import.meta.dirname, '../../test/fixtures/sysfs/seed003');

describe('readFreeMemory', () => {
  it('reads every NUMA node of the seed-003 fixture', async () => {
    const topo = await readHostTopology({ sysfsRoot: SEED003, capabilitiesXml: null });
    const free = await readFreeMemory(topo, SEED003);
    expect(free).toEqual(topo.numa_nodes.map((n) => ({ numa_node: n.id, free_memory_mb: n.free_memory_mb })));
    expect(free.map((f) => f.numa_node)).toEqual([0, 1]);
  });

  it('follows the live host: a changed MemFree shows up on the next read', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vmpool-meminfo-'));
    await cp(SEED003, root, { recursive: true });
    const topo = await readHostTopology({ sysfsRoot: root, capabilitiesXml: null });
    const meminfo = join(root, 'sys/devices/system/node/node1/meminfo');
    await writeFile(
      meminfo,
      (await readFile(meminfo, 'utf8')).replace(/MemFree:\s+\d+ kB/, 'MemFree: 2048 kB'),
    );
    const free = await readFreeMemory(topo, root);
    expect(free[1]).toEqual({ numa_node: 1, free_memory_mb: 2 });
    expect(free[0]?.free_memory_mb).toBe(topo.numa_nodes[0]?.free_memory_mb);
  });
});
