import { setImmediate as nextTurn } from 'node:timers/promises';
import { claimsByNode } from '../placer/fleet-view.js';
import type { Allocation } from '../placement/types.js';
import type { NodeEntry } from '../registry/registry.js';
import type { StoreState } from '../store/types.js';
import { AgeLines } from './age-lines.js';
import { buildRow, type ClaimsToken, type NodeRow, rowIsCurrent, SERIES } from './node-rows.js';

/** NodeSeriesSources are what the per-node families are read from at scrape time. */
export interface NodeSeriesSources {
  entries: () => Iterable<NodeEntry>;
  state: () => StoreState;
  /** claimsOf is the create-path index's per-node claims (undefined: one scan of the store) */
  claimsOf: () => ((nodeId: string) => Allocation[]) | undefined;
  /**
   * claimsVersion is the same index's per-node version, which moves whenever a VM record on the node
   * changes; it lets a scrape tell a changed node without listing its claims (undefined: compare lists)
   */
  claimsVersion?: () => ((nodeId: string) => string) | undefined;
  overcommit: number;
  now?: () => number;
}

/** BLOCK is how many consecutive nodes share one pre-encoded piece of each NUMA family. */
export const BLOCK = 256;

/** SLICE is how many nodes a scrape walks in one event-loop turn (~1-2 ms here) before it yields. */
export const SLICE = 2000;

type Block = { threads: Buffer; memory: Buffer } | null;

const HEADS = {
  age: head('age'),
  threads: head('threads'),
  memory: head('memory'),
};

/**
 * nodeSeries renders the per-node /metrics families (heartbeat age, free threads and memory per NUMA
 * node) as Prometheus text, UTF-8 encoded, in the registry's order. Each node's lines are kept in a
 * row built again only when its registry entry, hello shape or claims changed (node-rows.ts); rows
 * are encoded in blocks of BLOCK nodes, encoded again only when one of their rows changed or moved;
 * the heartbeat ages are written straight into a kept buffer (age-lines.ts). What a scrape does per
 * node is one lookup, one version compare and one age line, SLICE nodes per event-loop turn. The
 * renderer before it built every node's PlacementNode, claims list and age line and joined 50,000
 * lines into one string, which the socket then measured and encoded: one stall of ~110 ms at 10,000
 * nodes. Scrapes run one at a time; each returns the body's pieces (copies or immutable blocks).
 */
export function nodeSeries(s: NodeSeriesSources): () => Promise<Buffer[]> {
  const kept: Kept = { rows: new Map(), ages: new AgeLines(), order: [], blocks: [], scrapes: 0 };
  let last: Promise<unknown> = Promise.resolve();
  // one scrape at a time: a scrape spans several turns and the kept rows, blocks and ages are shared
  return () => {
    const next = last.then(
      () => render(s, kept),
      () => render(s, kept),
    );
    last = next;
    return next;
  };
}

interface Kept {
  rows: Map<string, NodeRow>;
  ages: AgeLines;
  order: NodeRow[];
  blocks: Block[];
  scrapes: number;
}

async function render(s: NodeSeriesSources, k: Kept): Promise<Buffer[]> {
  const claims = claimsLookup(s);
  const now = (s.now ?? Date.now)();
  const next: NodeRow[] = [];
  const scrape = ++k.scrapes;
  k.ages.reset();
  for (const e of s.entries()) {
    let row = k.rows.get(e.id);
    // a node removed and added again between two slices is met twice: show it once
    if (row?.shownIn === scrape) continue;
    const token = claims.token(e.id);
    if (row === undefined || !rowIsCurrent(row, e, token)) {
      row = buildRow(e, token, claims.list(e.id), s.overcommit);
      k.rows.set(e.id, row);
    }
    const i = next.length;
    if (k.order[i] !== row) k.blocks[(i / BLOCK) | 0] = null;
    row.shownIn = scrape;
    next.push(row);
    k.ages.add(row.agePrefix, Math.max(0, now - e.lastSeen));
    // the registry's iterator is live: nodes that join meanwhile are met later, removed ones skipped
    if (next.length % SLICE === 0) await nextTurn();
  }
  if (next.length !== k.order.length) k.blocks[(next.length / BLOCK) | 0] = null;
  k.blocks.length = Math.ceil(next.length / BLOCK);
  if (k.rows.size > next.length) forgetGone(k.rows, next);
  k.order = next;
  k.blocks = refreshBlocks(k.blocks, next);
  return [
    HEADS.age,
    Buffer.from(k.ages.bytes()), // a copy: the kept buffer is written again by the next scrape
    HEADS.threads,
    ...k.blocks.map((b) => b!.threads),
    HEADS.memory,
    ...k.blocks.map((b) => b!.memory),
  ];
}

/** claimsLookup is one scrape's view of the claims: a cheap per-node token and the list itself. */
function claimsLookup(s: NodeSeriesSources): {
  token: (id: string) => ClaimsToken;
  list: (id: string) => Allocation[];
} {
  const of = s.claimsOf();
  const version = s.claimsVersion?.();
  if (of && version) return { token: version, list: of };
  const byNode = of ? null : claimsByNode(s.state());
  const list = (id: string) => (byNode ? byNode.get(id) : of?.(id)) ?? [];
  return { token: list, list };
}

function refreshBlocks(blocks: Block[], order: readonly NodeRow[]): Block[] {
  for (let b = 0; b < blocks.length; b++) {
    if (blocks[b]) continue;
    let threads = '';
    let memory = '';
    for (let i = b * BLOCK; i < Math.min(order.length, (b + 1) * BLOCK); i++) {
      threads += order[i]!.threads;
      memory += order[i]!.memory;
    }
    blocks[b] = { threads: Buffer.from(threads), memory: Buffer.from(memory) };
  }
  return blocks;
}

// only after a node was removed (rare): drop the rows of nodes no longer shown
function forgetGone(rows: Map<string, NodeRow>, shown: readonly NodeRow[]): void {
  const ids = new Set(shown.map((r) => r.entry.id));
  for (const id of rows.keys()) if (!ids.has(id)) rows.delete(id);
}

function head(key: keyof typeof SERIES): Buffer {
  const [name, help] = SERIES[key];
  return Buffer.from(`# HELP ${name} ${help}\n# TYPE ${name} gauge\n`);
}
