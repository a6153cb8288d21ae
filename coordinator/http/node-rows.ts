import { placementNode } from '../placer/fleet-index.js';
import { freeSummary } from '../placement/summary.js';
import type { Allocation } from '../placement/types.js';
import type { NodeEntry } from '../registry/registry.js';

/** SERIES names the per-node families and their help text. */
export const SERIES = {
  age: ['vmpool_node_heartbeat_age_seconds', 'Seconds since the node last beat'],
  threads: ['vmpool_numa_free_threads', 'Free host threads per NUMA node'],
  memory: ['vmpool_numa_free_memory_bytes', 'Free memory per NUMA node'],
} as const;

/**
 * ClaimsToken is what a node's claims were when its row was built: the create-path index's per-node
 * version (it moves whenever a VM record on the node changes), or, without an index, the claims.
 */
export type ClaimsToken = string | readonly Allocation[];

/**
 * NodeRow is one node's pre-rendered /metrics text and the inputs it was rendered from. A row is
 * built again only when one of those inputs changed; the heartbeat age is the one figure rendered
 * per scrape, after `agePrefix`.
 */
export interface NodeRow {
  readonly entry: NodeEntry;
  readonly topology: NodeEntry['hello']['topology'];
  readonly reservedCpus: NodeEntry['hello']['host_reserved_cpus'];
  readonly reservedMemoryMb: number | undefined;
  readonly claims: ClaimsToken;
  /** agePrefix is `vmpool_node_heartbeat_age_seconds{node="…"} `, encoded */
  readonly agePrefix: Uint8Array;
  /** threads and memory are the node's per-NUMA lines of the two families, newline-terminated */
  readonly threads: string;
  readonly memory: string;
  /** shownIn is the last scrape that showed the row (a scrape shows each node once) */
  shownIn: number;
}

/** rowIsCurrent says whether a row still shows the node: same entry, hello shape and claims. */
export function rowIsCurrent(row: NodeRow, e: NodeEntry, claims: ClaimsToken): boolean {
  return (
    row.entry === e &&
    row.topology === e.hello.topology &&
    row.reservedCpus === e.hello.host_reserved_cpus &&
    row.reservedMemoryMb === e.hello.host_reserved_memory_mb &&
    sameClaims(row.claims, claims)
  );
}

/** buildRow renders one node's lines from its hello and the allocations it holds. */
export function buildRow(
  e: NodeEntry,
  claims: ClaimsToken,
  allocations: Allocation[],
  overcommit: number,
): NodeRow {
  const id = label(e.id);
  let threads = '';
  let memory = '';
  for (const f of freeSummary(placementNode(e, allocations), { cpu_overcommit: overcommit }).numa) {
    const labels = `{node="${id}",numa_node="${f.numa_node}"}`;
    threads += `${SERIES.threads[0]}${labels} ${f.threads_free}\n`;
    memory += `${SERIES.memory[0]}${labels} ${f.memory_free_mb * 2 ** 20}\n`;
  }
  return {
    entry: e,
    topology: e.hello.topology,
    reservedCpus: e.hello.host_reserved_cpus,
    reservedMemoryMb: e.hello.host_reserved_memory_mb,
    claims,
    agePrefix: Buffer.from(`${SERIES.age[0]}{node="${id}"} `),
    threads,
    memory,
    shownIn: 0,
  };
}

function sameClaims(a: ClaimsToken, b: ClaimsToken): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** label escapes a Prometheus label value (backslash, double quote, newline). */
export function label(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}
