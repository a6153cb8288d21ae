/** PlacementDecision is where a VM would go: node, NUMA node, exact threads and memory binding. */
export interface PlacementDecision {
  node_id: string;
  numa_node: number;
  vcpu_pins: number[];
  emulator_cpuset: number[];
  memory_nodeset: string;
  memory_mode: 'strict';
  pass: 1 | 2;
  score: number;
}

/** PassReport says whether a placement pass ran, which nodes survived and why the others did not. */
export interface PassReport {
  pass: 1 | 2;
  ran: boolean;
  candidates: string[];
  rejected: { node_id: string; reason: string; detail: string }[];
}

/** DryRunResult is POST /v1/placements/dry-run: a decision with its pass reports, or the reports alone. */
export type DryRunResult =
  | { ok: true; decision: PlacementDecision; passes: PassReport[]; vmid?: number }
  | { ok: false; code?: 'no_capacity'; passes: PassReport[] };
