import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VmReport } from '../shared/protocol.js';
import type { ClaimInput } from './claims/claim-book.js';
import { type AppHarness, appHarness } from './http/testing/harness.js';
import { countBy, vmCounts } from './observe.js';
import { LowdbStore, MemoryStore, type VmRecord } from './store/index.js';

// The VM counts metrics and STATUS= read are VmOrder's, kept as the store changes. Through a seeded
// run of claims, spawns, reports, power changes, releases, destroys and nodes going down, coming
// back and being removed, they must equal a full walk of every VM as the API shows it.

const NODES = ['n1', 'n2', 'n3'];
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function claimOn(node: string, i: number): ClaimInput {
  return {
    id: `v${i}`,
    tenantId: `t${i % 2}`,
    req: { name: `v${i}`, tags: [], vcpu_count: 1, memory_mb: 64, placement: { cpu_policy: 'shared' } },
    vmid: 100 + i,
    placed: {
      decision: {
        node_id: node,
        numa_node: 0,
        vcpu_pins: [],
        emulator_cpuset: [],
        memory_nodeset: '0',
        memory_mode: 'strict',
        pass: 1,
        score: 1,
      },
      seed: 1,
    },
    source: 'test',
    requestId: `r${i}`,
  };
}

function reportOf(vm: VmRecord, state: VmReport['state']): VmReport {
  return {
    vm_id: vm.id,
    name: vm.name,
    tenant: vm.tenant,
    vmid: vm.vmid,
    state,
    ...(state === 'paused' ? { state_reason: 'user' } : {}),
    numa_node: 0,
    vcpu_pins: [],
    emulator_cpuset: [],
    memory_mb: 64,
    vcpu_count: 1,
    cpu_policy: 'shared',
    domain_uuid: null,
  };
}

/** walk is the full count the incremental one replaces: every VM as the admin's list shows it. */
const walk = (c: AppHarness) => countBy(c.vms.list({ kind: 'admin' }).map((v) => v.state));

/** step makes one seeded change: a claim, a spawn's end, a node report, a power change, a destroy or a node event. */
async function step(c: AppHarness, i: number, rng: () => number): Promise<void> {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)] as T;
  const vms = Object.values(c.store.read().vms);
  const vm = vms.length ? pick(vms) : undefined;
  const r = rng();
  if (r < 0.3 || !vm) {
    await c.claims.claim(claimOn(pick(NODES), i));
    if (rng() < 0.7) c.claims.finish(`v${i}`);
  } else if (r < 0.4) {
    await c.claims.markRunning(vm.id, `r${i}`);
    c.claims.finish(vm.id);
  } else if (r < 0.5) {
    await c.claims.release(vm.id, 'spawn_failed', `r${i}`);
  } else if (r < 0.6) {
    await c.claims.forget(vm, { keepDisk: false, source: 'test' });
  } else if (r < 0.7) {
    const op = pick(['stop', 'start', 'reboot'] as const);
    await c.claims.markPowered(
      vm.id,
      { op, state: op === 'stop' ? 'stopped' : 'running', source: 'test' },
      `r${i}`,
    );
  } else if (r < 0.85 && vm.node_id) {
    // a node's full report: each of its VMs in a state it picks, some missing from it
    const on = vms.filter((v) => v.node_id === vm.node_id && rng() < 0.9);
    await c.claims.reconcile(
      { id: vm.node_id },
      on.map((v) => reportOf(v, pick(['running', 'stopped', 'paused'] as const))),
    );
  } else if (r < 0.92) {
    c.registry.sweep(Date.now() + 3_600_000 * (1 + rng())); // every silent node goes down
  } else if (r < 0.97) {
    c.addNode(pick(NODES)); // one comes (back) up
  } else {
    c.registry.remove(pick(NODES), 'test'); // an admin removes one: its VMs show unknown
  }
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe.each([
  ['memory store', false],
  ['journaled file store', true],
])('VM counts on a %s', (_name, onDisk) => {
  it('match a full walk of every VM after each claim, release, report, power change and node event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmpool-observe-'));
    dirs.push(dir);
    const open = () => (onDisk ? new LowdbStore(join(dir, 'state.json')) : new MemoryStore());
    let c = await appHarness({ store: open() });
    for (const n of NODES) c.addNode(n);
    const rng = seeded(onDisk ? 11 : 29);
    const seen = new Set<string>();
    for (let i = 0; i < 150; i++) {
      await step(c, i, rng);
      const counts = vmCounts({ vms: () => c.vms });
      expect(counts).toEqual(walk(c));
      for (const s of Object.keys(counts)) seen.add(s);
    }
    // the run went through the states that matter: not a walk that only ever saw one state
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['creating', 'paused', 'running', 'stopped', 'unknown']),
    );
    // the scrape reads the same counts
    const text = await c.metrics.render();
    for (const [state, n] of Object.entries(walk(c)))
      expect(text).toContain(`vmpool_vms{state="${state}"} ${n}`);
    await c.close();
    if (!onDisk) return;
    // a restarted coordinator counts what it loaded
    const before = Object.values(c.store.read().vms).length;
    c = await appHarness({ store: open() });
    expect(Object.values(c.store.read().vms)).toHaveLength(before);
    expect(vmCounts({ vms: () => c.vms })).toEqual(walk(c));
  });
});
