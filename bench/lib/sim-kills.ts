// Killed agents for the heartbeat bench: several agents, on different simulator processes and at
// different indices, go silent at times spread over the window, and each one's node.down is timed
// from the kill, from its last beat, and split into the parts the coordinator and the bench see.
import type { Down } from './coordinator-probe.js';
import type { Sim } from './sim-procs.js';
import { percentile } from './stats.js';

/** Kill is one planned kill: `offsetMs` into the window, agent `index` of simulator `sim`. */
export interface Kill {
  readonly offsetMs: number;
  readonly sim: number;
  readonly index: number;
}

/** Killed is what a simulator answered for one kill (its wall clock). */
export interface Killed {
  readonly node_id: string;
  /** at is when the agent was silenced; lastBeatAt when it last sent a beat */
  readonly at: number;
  readonly lastBeatAt: number;
}

/**
 * killPlan spreads `n` kills over a window of `windowMs`: kill k at (k + 1) / (n + 2) of it (one kill:
 * a third of the way in, as before), round-robin over the simulators, at indices spread over each
 * one's `perSim[s]` agents. The last kill leaves at least 2/(n + 2) of the window to see it down.
 */
export function killPlan(n: number, perSim: readonly number[], windowMs: number): Kill[] {
  const sims = perSim.length;
  const perSimKills = Math.ceil(n / sims);
  return Array.from({ length: n }, (_, k) => {
    const sim = k % sims;
    const step = Math.max(1, Math.floor(perSim[sim]! / perSimKills));
    return {
      offsetMs: (windowMs * (k + 1)) / (n + 2),
      sim,
      index: Math.min(perSim[sim]! - 1, Math.floor(k / sims) * step),
    };
  });
}

/**
 * AfterKill (diagnostics) runs `fn` `delayMs` after each kill, inside the killed node's silence: e.g.
 * a /metrics scrape, whose render stalls the coordinator's loop as a real Prometheus scrape does.
 */
export interface AfterKill {
  readonly delayMs: number;
  readonly fn: () => Promise<unknown>;
}

/** runKills carries out a plan from `startAt` (performance.now()) and returns each kill's answer. */
export async function runKills(
  plan: readonly Kill[],
  sims: readonly Sim[],
  startAt: number,
  afterKill?: AfterKill,
): Promise<Killed[]> {
  const out: Killed[] = [];
  const extra: Promise<unknown>[] = [];
  for (const k of plan) {
    await sleep(startAt + k.offsetMs - performance.now());
    const { node_id, at, lastBeatAt } = await sims[k.sim]!.ask({ cmd: 'kill', index: k.index }, 'killed');
    out.push({ node_id, at, lastBeatAt });
    if (afterKill) extra.push(sleep(afterKill.delayMs).then(afterKill.fn));
  }
  await Promise.all(extra);
  return out;
}

/** KillFigure is one kill's detection, split: the bench-visible times and the coordinator's reasons. */
export interface KillFigure {
  readonly node_id: string;
  readonly down_after_kill_ms: number | null;
  readonly down_after_last_beat_ms: number | null;
  /** silent_ms, down_after_ms, stall_credit_ms: the coordinator's own figures on its node.down */
  readonly silent_ms: number | null;
  readonly down_after_ms: number | null;
  readonly stall_credit_ms: number | null;
  /** sweep_overshoot_ms: how far past its (credited) bound the node was when a sweep saw it */
  readonly sweep_overshoot_ms: number | null;
  /** transit_ms: the simulator's send of the last beat to the coordinator's read of it */
  readonly transit_ms: number | null;
  /** sse_delay_ms: the coordinator's stamp on node.down to the bench's receipt */
  readonly sse_delay_ms: number | null;
}

/** killFigures matches each kill with its node.down (the first after the kill). */
export function killFigures(killed: readonly Killed[], downs: readonly Down[]): KillFigure[] {
  return killed.map((k) => {
    const d = downs.find((x) => x.node_id === k.node_id && x.at >= k.at);
    if (!d)
      return {
        node_id: k.node_id,
        ...{ down_after_kill_ms: null, down_after_last_beat_ms: null, silent_ms: null },
        ...{ down_after_ms: null, stall_credit_ms: null, sweep_overshoot_ms: null },
        ...{ transit_ms: null, sse_delay_ms: null },
      };
    return {
      node_id: k.node_id,
      down_after_kill_ms: d.at - k.at,
      down_after_last_beat_ms: d.at - k.lastBeatAt,
      silent_ms: d.silent_ms,
      down_after_ms: d.down_after_ms,
      stall_credit_ms: d.stall_credit_ms,
      sweep_overshoot_ms: d.silent_ms - d.stall_credit_ms - d.down_after_ms,
      transit_ms: d.ts - d.silent_ms - k.lastBeatAt,
      sse_delay_ms: d.at - d.ts,
    };
  });
}

/** KillSummary is p50 and max of each figure over the kills that were seen down. */
export type KillSummary = { kills: number; seen_down: number } & Record<string, { p50: number; max: number }>;

/** summarizeKills reduces the figures to p50 / max per field. */
export function summarizeKills(figs: readonly KillFigure[]): KillSummary {
  const seen = figs.filter((f) => f.down_after_kill_ms !== null);
  const out: KillSummary = { kills: figs.length, seen_down: seen.length } as KillSummary;
  for (const key of FIELDS) {
    const xs = seen.map((f) => f[key] as number).sort((a, b) => a - b);
    if (xs.length) out[key] = { p50: percentile(xs, 50), max: xs.at(-1)! };
  }
  return out;
}

const FIELDS = [
  'down_after_kill_ms',
  'down_after_last_beat_ms',
  'silent_ms',
  'stall_credit_ms',
  'sweep_overshoot_ms',
  'transit_ms',
  'sse_delay_ms',
] as const satisfies readonly (keyof KillFigure)[];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
