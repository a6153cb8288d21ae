// Placement throughput at fleet scale. Build, then run: npm run build && node dist/bench/placement.js
// Options: --fleets 1000,10000 --requests 2000 --cold 200 --seed 1
import { parseArgs } from 'node:util';
import { allocationFromDecision, placeVm } from '../coordinator/placement/index.js';
import { seed003Host, withAllocation } from '../coordinator/placement/testing.js';
import {
  DEFAULT_PLACEMENT_CONFIG,
  type PlacementConfig,
  type PlacementNode,
  type PlacementRequest,
} from '../coordinator/placement/types.js';

type Rng = () => number;

/** mulberry32 is a tiny seeded PRNG so every bench run builds the same fleet and requests. */
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

// A mix like seed 003's: mostly dedicated 2-16 vCPU VMs at 2-8 GiB per vCPU, a fifth shared.
function randomRequest(rng: Rng, vm_id: string): PlacementRequest {
  const shared = rng() < 0.2;
  const vcpu_count = pick(rng, shared ? [1, 2, 4] : [2, 4, 8, 12, 16]);
  return {
    vm_id,
    vcpu_count,
    memory_mb: vcpu_count * pick(rng, [2048, 4096, 8192]),
    cpu_policy: shared ? 'shared' : 'dedicated',
    requires_kvm: rng() < 0.9,
    allow_reserved: rng() < 0.3,
    anti_affinity_group: rng() < 0.1 ? `group-${Math.floor(rng() * 50)}` : undefined,
  };
}

/** prefilledHost places random VMs on one host until it reaches a random fill level (0-85 %). */
function prefilledHost(rng: Rng, index: number): PlacementNode {
  let node = seed003Host(`node-${index}`, { reserved: rng() < 0.05, kvm: rng() < 0.97, alive: rng() < 0.99 });
  const target = Math.floor(rng() * 0.85 * 64);
  for (let i = 0; 64 - freeThreads(node) < target && i < 40; i++) {
    const request = { ...randomRequest(rng, `pre-${index}-${i}`), requires_kvm: false, allow_reserved: true };
    const result = placeVm([{ ...node, alive: true }], request);
    if (!result.ok) break;
    node = withAllocation(node, allocationFromDecision(request, result.decision));
  }
  return node;
}

function freeThreads(node: PlacementNode): number {
  return (
    64 - node.allocations.reduce((sum, a) => sum + (a.cpu_policy === 'dedicated' ? a.pins.length : 0), 0)
  );
}

interface Figures {
  readonly placed: number;
  readonly failed: number;
  readonly totalMs: number;
  readonly timesMs: number[];
}

/** runRequests places `count` requests, applying each decision; cold copies every node first. */
function runRequests(fleet: PlacementNode[], count: number, config: PlacementConfig, cold: boolean): Figures {
  const rng = mulberry32(config.seed + 7);
  const index = new Map(fleet.map((n, i) => [n.id, i]));
  const timesMs: number[] = [];
  let placed = 0;
  for (let i = 0; i < count; i++) {
    const request = randomRequest(rng, `vm-${i}`);
    // Fresh node objects miss the per-node view cache, as a caller rebuilding its fleet would.
    const nodes = cold ? fleet.map((n) => ({ ...n })) : fleet;
    const start = process.hrtime.bigint();
    const result = placeVm(nodes, request, { ...config, seed: config.seed + i });
    timesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!result.ok) continue;
    placed++;
    const at = index.get(result.decision.node_id)!;
    fleet[at] = withAllocation(fleet[at]!, allocationFromDecision(request, result.decision));
  }
  const totalMs = timesMs.reduce((a, b) => a + b, 0);
  return { placed, failed: count - placed, totalMs, timesMs };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function report(label: string, f: Figures): void {
  const sorted = [...f.timesMs].sort((a, b) => a - b);
  const rate = (f.timesMs.length / f.totalMs) * 1000;
  const ms = (v: number) => v.toFixed(3);
  console.log(
    `${label.padEnd(24)} decisions=${f.timesMs.length} placed=${f.placed} failed=${f.failed} ` +
      `rate=${rate.toFixed(0)}/s p50=${ms(percentile(sorted, 50))}ms p99=${ms(percentile(sorted, 99))}ms ` +
      `max=${ms(sorted.at(-1) ?? 0)}ms`,
  );
}

function main(): void {
  const { values } = parseArgs({
    options: {
      fleets: { type: 'string', default: '1000,10000' },
      requests: { type: 'string', default: '2000' },
      cold: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
    },
  });
  const seed = Number(values.seed);
  for (const size of values.fleets.split(',').map(Number)) {
    const rng = mulberry32(seed);
    const buildStart = process.hrtime.bigint();
    const fleet = Array.from({ length: size }, (_, i) => prefilledHost(rng, i));
    const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
    const vms = fleet.reduce((sum, n) => sum + n.allocations.length, 0);
    console.log(`fleet of ${size} seed-003 hosts, ${vms} pre-filled VMs, built in ${buildMs.toFixed(0)} ms`);
    for (const ranking of ['pack', 'spread'] as const) {
      const config = { ...DEFAULT_PLACEMENT_CONFIG, ranking, seed };
      report(`  ${ranking} warm cache`, runRequests([...fleet], Number(values.requests), config, false));
    }
    const config = { ...DEFAULT_PLACEMENT_CONFIG, seed };
    report('  pack cold (no cache)', runRequests([...fleet], Number(values.cold), config, true));
  }
}

main();
