// Placement throughput at fleet scale through the incremental PlacementIndex, with the full scan
// (placeVm, what every decision cost before the index) measured on the same fleet for comparison.
// npm run bench -- placement [--nodes 10000] [--requests 20000] [--policy dedicated|shared|mixed]
//   [--ranking pack|spread] [--empty --vcpus 4 --memory-mb 8192] [--compare 200] [--seed 1] [--json]
// npm run bench -- placement --peer hspace [--nodes 100 (its default)] [--peer-timeout-s 1800] [--json]: vmpool and
//   Ganeti's hspace fill the same empty fleet with one 4 vCPU / 8 GiB shape (bench/peers/hspace.ts).
import { allocationFromDecision, placeVm } from '../coordinator/placement/index.js';
import { PlacementIndex } from '../coordinator/placement/placement-index.js';
import { seed003Host, withAllocation } from '../coordinator/placement/testing.js';
import {
  DEFAULT_PLACEMENT_CONFIG,
  type PlacementConfig,
  type PlacementNode,
  type PlacementRequest,
} from '../coordinator/placement/types.js';
import { comparePeer } from './peers/hspace.js';
import { Churn, gcWatch, settle } from './placement-phases.js';
import { choice, decimal, flag, integer } from './lib/option-kinds.js';
import { type OptionValues, parseOptions } from './lib/options.js';
import { emit, type Latency, latency, mulberry32, nowMs, pick, type Rng } from './lib/stats.js';

/** OPTIONS are the placement bench's flags (bench/main.ts prints them for --help). */
const OPTIONS = {
  // 10000 by default, 100 with --peer (options()): hspace's cost per placement grows with the fleet
  nodes: integer({ min: 1 }),
  requests: integer({ min: 1, default: 20000 }),
  policy: choice(['dedicated', 'shared', 'mixed'], 'dedicated'),
  ranking: choice(['pack', 'spread'], 'pack'),
  empty: flag(),
  vcpus: integer({ min: 1 }),
  memoryMb: integer({ min: 1 }),
  compare: integer({ min: 0, default: 200 }),
  churn: integer({ min: 0, default: 1 }),
  seed: integer({ min: 0, default: 1 }),
  json: flag(),
  peer: choice(['hspace']),
  peerTimeoutS: decimal({ above: 0, default: 1800 }),
};

type Options = OptionValues<typeof OPTIONS> & { nodes: number };

function options(argv: string[]): Options {
  const o = parseOptions(argv, OPTIONS);
  return { ...o, nodes: o.nodes ?? (o.peer === undefined ? 10000 : 100) };
}

// A mix like seed 003's: 2-16 vCPU VMs at 2-8 GiB per vCPU (shared: 1-4 vCPUs).
function randomRequest(rng: Rng, vm_id: string, o: Options): PlacementRequest {
  const shared = o.policy === 'shared' || (o.policy === 'mixed' && rng() < 0.2);
  const vcpu_count = o.vcpus ?? pick(rng, shared ? [1, 2, 4] : [2, 4, 8, 12, 16]);
  return {
    vm_id,
    vcpu_count,
    memory_mb: o.memoryMb ?? vcpu_count * pick(rng, [2048, 4096, 8192]),
    cpu_policy: shared ? 'shared' : 'dedicated',
    requires_kvm: o.vcpus !== undefined || rng() < 0.9,
    allow_reserved: o.vcpus === undefined && rng() < 0.3,
    anti_affinity_group: o.vcpus === undefined && rng() < 0.1 ? `group-${Math.floor(rng() * 50)}` : undefined,
  };
}

/** prefilledHost places random VMs on one host until it reaches a random fill level (0-85 %). */
function prefilledHost(rng: Rng, index: number, o: Options): PlacementNode {
  const flags = o.empty ? {} : { reserved: rng() < 0.05, kvm: rng() < 0.97, alive: rng() < 0.99 };
  let node = seed003Host(`node-${index}`, flags);
  if (o.empty) return node;
  const target = Math.floor(rng() * 0.85 * 64);
  const mix = { ...o, policy: 'mixed' as const, vcpus: undefined, memoryMb: undefined };
  for (let i = 0; usedThreads(node) < target && i < 40; i++) {
    const request = {
      ...randomRequest(rng, `pre-${index}-${i}`, mix),
      requires_kvm: false,
      allow_reserved: true,
    };
    const result = placeVm([{ ...node, alive: true }], request, DEFAULT_PLACEMENT_CONFIG, { detail: 'none' });
    if (!result.ok) break;
    node = withAllocation(node, allocationFromDecision(request, result.decision));
  }
  return node;
}

function usedThreads(node: PlacementNode): number {
  return node.allocations.reduce((sum, a) => sum + (a.cpu_policy === 'dedicated' ? a.pins.length : 0), 0);
}

interface Run {
  placed: number;
  failed: number;
  /** placements_per_s is successful decisions per second of time spent in them (wall clock) */
  placements_per_s: number;
  /**
   * placements_per_cpu_s is successful decisions per second of this process's CPU time over the
   * loop (failed decisions' CPU included: read decisions_per_cpu_s when many fail)
   */
  placements_per_cpu_s: number;
  latency: Latency;
  /** failed decisions build the pass summary (counts, closest nodes) over the whole fleet */
  failed_latency: Latency;
  /** decisions_per_s counts every decision, failed ones included */
  decisions_per_s: number;
  /** decisions_per_cpu_s is every decision per CPU second (the loop's CPU covers failed ones too) */
  decisions_per_cpu_s: number;
  /** gc_ms is the garbage collector's pause time during the loop (perf_hooks 'gc' entries) */
  gc_ms: number;
}

/**
 * runIndex places requests through the index; each decision's claim is applied to the index in
 * place (`claim`) inside the timed section. With churn > 0, that many other nodes change before each
 * decision, also timed ("right after a change"): a node is handed over as a fresh object whose claim
 * list drops its first claim (a release elsewhere), and the next change hands it back with that claim
 * appended, so the fleet's fill stays put. Both go through `upsert` with a new list, as FleetIndex does.
 * CPU time is read once around the loop; the requests are generated before it.
 */
async function runIndex(
  index: PlacementIndex,
  o: Options,
  config: PlacementConfig,
  churn: number,
): Promise<Run> {
  const rng = mulberry32(config.seed + 7);
  const requests = Array.from({ length: o.requests }, (_, i) => randomRequest(rng, `vm-${i}`, o));
  const ids = index.nodes().map((n) => n.id);
  const changes = new Churn(index, ids, mulberry32(config.seed + 11));
  const times: number[] = [];
  const failedTimes: number[] = [];
  const gc = gcWatch();
  const cpu = process.cpuUsage();
  let misses = 0;
  for (let i = 0; i < requests.length && misses < 50; i++) {
    const request = requests[i]!;
    const start = nowMs();
    for (let c = 0; c < churn; c++) changes.next();
    const result = index.place(request, { ...config, seed: config.seed + i });
    if (result.ok) index.claim(result.decision.node_id, allocationFromDecision(request, result.decision));
    const took = nowMs() - start;
    if (result.ok) {
      times.push(took);
      misses = 0;
    } else {
      failedTimes.push(took);
      misses++;
    }
  }
  const used = process.cpuUsage(cpu);
  return summarise(times, failedTimes, used.user + used.system, await gc.stop());
}

/** runScan is the same stream through the full scan, on a copy of the fleet. */
async function runScan(
  fleet: PlacementNode[],
  o: Options,
  config: PlacementConfig,
  count: number,
): Promise<Run> {
  const rng = mulberry32(config.seed + 7);
  const requests = Array.from({ length: count }, (_, i) => randomRequest(rng, `vm-${i}`, o));
  const nodes = [...fleet];
  const at = new Map(nodes.map((n, i) => [n.id, i]));
  const times: number[] = [];
  const failedTimes: number[] = [];
  const gc = gcWatch();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const request = requests[i]!;
    const start = nowMs();
    const result = placeVm(nodes, request, { ...config, seed: config.seed + i }, { detail: 'none' });
    const took = nowMs() - start;
    if (!result.ok) {
      failedTimes.push(took);
      continue;
    }
    times.push(took);
    const k = at.get(result.decision.node_id)!;
    nodes[k] = withAllocation(nodes[k]!, allocationFromDecision(request, result.decision));
  }
  const used = process.cpuUsage(cpu);
  return summarise(times, failedTimes, used.user + used.system, await gc.stop());
}

function summarise(times: number[], failedTimes: number[], cpuUs: number, gcMs: number): Run {
  const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
  const okMs = sum(times);
  const allMs = okMs + sum(failedTimes);
  return {
    placed: times.length,
    failed: failedTimes.length,
    placements_per_s: okMs > 0 ? Math.round((times.length / okMs) * 1000) : 0,
    placements_per_cpu_s: cpuUs > 0 ? Math.round((times.length / cpuUs) * 1e6) : 0,
    latency: latency(times),
    failed_latency: latency(failedTimes),
    decisions_per_s: allMs > 0 ? Math.round(((times.length + failedTimes.length) / allMs) * 1000) : 0,
    decisions_per_cpu_s: cpuUs > 0 ? Math.round(((times.length + failedTimes.length) / cpuUs) * 1e6) : 0,
    gc_ms: gcMs,
  };
}

function fillRatio(fleet: readonly PlacementNode[]): number {
  const usable = 64;
  const live = fleet.filter((n) => n.alive);
  const used = live.reduce((sum, n) => sum + Math.min(usable, usedThreads(n)), 0);
  return Math.round((used / Math.max(1, live.length * usable)) * 1000) / 1000;
}

/** run builds the fleet, measures warm, after-change and (optionally) the full scan, and prints one object. */
export async function run(argv: string[]): Promise<void> {
  const o = options(argv);
  if (o.peer !== undefined) return runPeer(o);
  const rng = mulberry32(o.seed);
  const buildStart = nowMs();
  const fleet = Array.from({ length: o.nodes }, (_, i) => prefilledHost(rng, i, o));
  const index = indexOf(fleet);
  const buildMs = nowMs() - buildStart;
  const prefilled = fleet.reduce((sum, n) => sum + n.allocations.length, 0);
  const config = { ...DEFAULT_PLACEMENT_CONFIG, ranking: o.ranking, seed: o.seed };
  // Each timed phase starts from a collected heap, so none pays for the garbage of building the
  // fleet or of the phase before it; what a phase allocates itself is still collected inside it.
  const churnIndex = indexOf(fleet);
  settle();
  const churned = await runIndex(churnIndex, o, config, o.churn);
  settle();
  const warm = await runIndex(index, o, config, 0);
  settle();
  const scan = o.compare > 0 ? await runScan(fleet, o, config, Math.min(o.compare, o.requests)) : null;
  emit(
    {
      bench: 'placement',
      nodes: o.nodes,
      prefilled_vms: prefilled,
      build_ms: Math.round(buildMs),
      policy: o.policy,
      ranking: o.ranking,
      placements_per_s: warm.placements_per_s,
      p50_ms: warm.latency.p50_ms,
      p99_ms: warm.latency.p99_ms,
      fill_ratio: fillRatio(index.nodes()),
      warm,
      after_change: { churn_nodes_per_decision: o.churn, ...churned },
      full_scan: scan,
      speedup_vs_full_scan: scan
        ? Math.round(warm.placements_per_s / Math.max(1, scan.placements_per_s))
        : null,
    },
    o.json,
  );
}

function indexOf(fleet: readonly PlacementNode[]): PlacementIndex {
  const index = new PlacementIndex();
  for (const n of fleet) index.upsert(n);
  return index;
}

async function runPeer(o: Options): Promise<void> {
  const shape = { nodes: o.nodes, vcpus: o.vcpus ?? 4, memoryMb: o.memoryMb ?? 8192, diskMb: 10240 };
  emit(await comparePeer(shape, o.peerTimeoutS * 1000), o.json);
}
