// The hspace peer: Ganeti's capacity planner (Debian ganeti-htools-3.0) fills an empty cluster with
// one instance shape; vmpool's placement fills the identical fleet with the same shape in the same
// process tree. Install hspace with `bash bench/peers/hspace-setup.sh` (bench only, never CI).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { allocationFromDecision } from '../../coordinator/placement/index.js';
import { PlacementIndex } from '../../coordinator/placement/placement-index.js';
import {
  SEED003_HOST_RESERVED_CPUS,
  SEED003_SHAPE,
  seed003Host,
} from '../../coordinator/placement/testing.js';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementRequest } from '../../coordinator/placement/types.js';
import { nowMs } from '../lib/stats.js';

/** PeerShape is the fleet and instance both sides fill. */
export interface PeerShape {
  readonly nodes: number;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly diskMb: number;
}

/** FillResult is how many instances one side placed on the empty fleet and how long it took. */
export interface FillResult {
  readonly placed: number;
  readonly seconds: number;
  readonly placements_per_s: number;
}

const THREADS = SEED003_SHAPE.sockets * SEED003_SHAPE.coresPerSocket * SEED003_SHAPE.threadsPerCore;
const MEMORY_MB = SEED003_SHAPE.memoryMbPerNode * SEED003_SHAPE.sockets;
const NODE_DISK_MB = 10 * 1024 * 1024;

/** findHspace is $VMPOOL_HSPACE, hspace on PATH, or Debian's /usr/lib/ganeti/<version>/usr/bin/hspace. */
export function findHspace(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.VMPOOL_HSPACE !== undefined) return existsSync(env.VMPOOL_HSPACE) ? env.VMPOOL_HSPACE : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'hspace'))) return join(dir, 'hspace');
  }
  const root = '/usr/lib/ganeti';
  if (!existsSync(root)) return null;
  for (const version of readdirSync(root).sort().reverse()) {
    const path = join(root, version, 'usr/bin/hspace');
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * clusterText is hspace's text backend (htools(1), "-t"): one group, N empty nodes of the seed-003
 * shape (72 threads, 256 GiB; the 8 host-reserved threads as "vCPUs used by the node OS"), no
 * instances, and an instance policy whose standard spec is the instance with a 1.0 vCPU ratio, so
 * hspace counts dedicated threads as vmpool does.
 */
export function clusterText(shape: PeerShape): string {
  const spec = `${shape.memoryMb},${shape.vcpus},${shape.diskMb},1,1,1`;
  const policy = `${spec}|128,1,1024,1,1,1;${spec}|plain|1.0|1024.0`;
  const reserved = SEED003_HOST_RESERVED_CPUS.length;
  const nodes = Array.from(
    { length: shape.nodes },
    (_, i) =>
      `node-${i}|${MEMORY_MB}|0|${MEMORY_MB}|${NODE_DISK_MB}|${NODE_DISK_MB}|${THREADS}|N|uuid-g|1024||N|1024|${reserved}|1.0`,
  );
  return ['g|uuid-g|preferred||', '', ...nodes, '', '', '', `|${policy}`, `g|${policy}`, ''].join('\n');
}

/** HspaceResult adds hspace's second fill: it always runs a tiered allocation after the standard one. */
export interface HspaceResult extends FillResult {
  /** tiered_placed is the tiered fill's count (its start spec is the policy's max, here the instance) */
  readonly tiered_placed: number;
}

/**
 * runHspace runs hspace on the cluster and times the whole process. hspace fills the cluster twice
 * (standard, then tiered, both from empty; with the max spec set to the instance both place the
 * same count), so its rate counts the placements of both fills over the process time.
 */
export async function runHspace(hspace: string, shape: PeerShape, timeoutMs: number): Promise<HspaceResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vmpool-hspace-'));
  try {
    const file = join(dir, 'cluster.txt');
    writeFileSync(file, clusterText(shape));
    const args = ['-t', file, '--standard-alloc', `${shape.diskMb},${shape.memoryMb},${shape.vcpus}`];
    const start = nowMs();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        hspace,
        [...args, '--disk-template', 'plain', '--machine-readable'],
        { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`hspace failed: ${err.message} ${stderr}`)) : resolve(stdout),
      );
    });
    const seconds = (nowMs() - start) / 1000;
    const keys = keyValues(out);
    const placed = Number(keys.HTS_ALLOC_INSTANCES);
    const tiered = Number(keys.HTS_TRL_INST_CNT ?? 0);
    if (!Number.isInteger(placed)) throw new Error('hspace printed no HTS_ALLOC_INSTANCES');
    return {
      placed,
      tiered_placed: tiered,
      seconds: round(seconds, 3),
      placements_per_s: round((placed + tiered) / seconds, 1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** runVmpool fills the identical empty fleet through the placement index, claim by claim, until nothing fits. */
export function runVmpool(shape: PeerShape): FillResult & { placements_per_cpu_s: number } {
  const start = nowMs();
  const cpu = process.cpuUsage();
  const index = new PlacementIndex();
  for (let i = 0; i < shape.nodes; i++) index.upsert(seed003Host(`node-${i}`));
  let placed = 0;
  for (;;) {
    const request: PlacementRequest = {
      vm_id: `vm-${placed}`,
      vcpu_count: shape.vcpus,
      memory_mb: shape.memoryMb,
      cpu_policy: 'dedicated',
      requires_kvm: true,
      allow_reserved: false,
    };
    const result = index.place(request, { ...DEFAULT_PLACEMENT_CONFIG, seed: placed }, { detail: 'none' });
    if (!result.ok) break;
    index.claim(result.decision.node_id, allocationFromDecision(request, result.decision));
    placed++;
  }
  const seconds = (nowMs() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    placed,
    seconds: round(seconds, 4),
    placements_per_s: round(placed / seconds, 1),
    placements_per_cpu_s: round(placed / ((used.user + used.system) / 1e6), 1),
  };
}

/** comparePeer runs both sides on one fleet size; hspace is skipped (and says why) when absent. */
export async function comparePeer(shape: PeerShape, timeoutMs: number): Promise<Record<string, unknown>> {
  const vmpool = runVmpool(shape);
  const hspace = findHspace();
  const base = {
    bench: 'placement',
    peer: 'hspace',
    nodes: shape.nodes,
    instance: instanceOf(shape),
    vmpool,
  };
  if (!hspace) {
    const skipped = 'hspace not found: run `bash bench/peers/hspace-setup.sh` (Debian ganeti-htools-3.0)';
    process.stderr.write(`placement --peer hspace: ${skipped}; skipping the peer\n`);
    return { ...base, hspace: { skipped }, ratio: null };
  }
  const peer = await runHspace(hspace, shape, timeoutMs);
  return {
    ...base,
    hspace: { path: hspace, ...peer },
    ratio: round(vmpool.placements_per_s / peer.placements_per_s, 1),
  };
}

function instanceOf(shape: PeerShape): string {
  return `${shape.vcpus} vCPU / ${shape.memoryMb} MiB / ${shape.diskMb} MiB disk on ${THREADS}-thread / ${MEMORY_MB} MiB nodes`;
}

function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1).replace(/^'|'$/g, '');
  }
  return out;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
