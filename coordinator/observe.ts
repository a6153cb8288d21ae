import { startStatus } from '../shared/status.js';
import type { EventBus } from './events/bus.js';
import { observeSpawns } from './events/metrics-subscriber.js';
import type { Metrics } from './http/metrics.js';
import { nodeSeries } from './http/node-series.js';
import type { NodeRegistry } from './registry/registry.js';
import { coordinatorStatusLine } from './status.js';
import type { Store } from './store/index.js';
import type { VmService } from './vms/service.js';

/** FleetSources are what the coordinator's metrics and STATUS= read. */
export interface FleetSources {
  registry: NodeRegistry;
  store: Store;
  overcommit: number;
  /** vms is read lazily: the service is built after the metrics it reports to */
  vms: () => VmService;
}

/** countBy tallies values: ["ready","down","ready"] → {ready: 2, down: 1}. */
export function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/**
 * vmCounts is how many VMs show each state as the API shows them (`unknown`: running or paused on a
 * down node). It is the one way metrics and STATUS= count VMs: VmOrder's counts, kept as the store
 * changes, so neither ever walks every VM.
 */
export function vmCounts(s: Pick<FleetSources, 'vms'>): Record<string, number> {
  const counts = s.vms().countByState();
  // createCore always builds the service with a VmOrder; a service without one is a wiring bug
  if (counts === null) throw new Error('VM counts need a VmService built with a VmOrder');
  return counts;
}

/** metricsCollect reads nodes, VMs (as the API shows them: unknown on a down node) and per-NUMA figures. */
export function metricsCollect(s: FleetSources) {
  const series = nodeSeries({
    entries: () => s.registry.entries(),
    state: () => s.store.read(),
    claimsOf: () => s.vms().claimsOf(),
    claimsVersion: () => s.vms().claimsVersionOf(),
    overcommit: s.overcommit,
  });
  return {
    nodes: () => s.registry.countByState(),
    vms: () => vmCounts(s),
    fleet: () => {
      let connections = 0;
      for (const e of s.registry.entries()) if (e.conn !== null) connections++;
      return { connections, series };
    },
  };
}

/**
 * startObserving subscribes spawn metrics to the bus and, unless `status` is false (in-process
 * tests), keeps STATUS= current; returns the stop function.
 */
export function startObserving(
  bus: EventBus,
  metrics: Metrics,
  s: FleetSources,
  o: { status?: boolean } = {},
): () => void {
  const unsubscribe = observeSpawns(bus, {
    placed: (pass) => metrics.placements.inc({ pass: String(pass), result: 'placed' }),
    spawned: (seconds, result) => metrics.spawnSeconds.observe({ result }, seconds),
  });
  if (o.status === false) return unsubscribe;
  const stopStatus = startStatus(() => {
    const counts = vmCounts(s);
    return coordinatorStatusLine({
      nodes: s.registry.countByState(),
      vms: Object.values(counts).reduce((a, b) => a + b, 0),
      spawnsInFlight: counts.creating ?? 0,
    });
  });
  return () => {
    unsubscribe();
    stopStatus();
  };
}
