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

/** metricsCollect reads nodes, VMs (as the API shows them: unknown on a down node) and per-NUMA figures. */
export function metricsCollect(s: FleetSources) {
  const series = nodeSeries({
    entries: () => s.registry.entries(),
    state: () => s.store.read(),
    claimsOf: () => s.vms().claimsOf(),
    overcommit: s.overcommit,
  });
  // VMs as the API shows them change only with a store write or a node's liveness
  const vmStates = whenChanged(s, () =>
    countBy(
      s
        .vms()
        .list({ kind: 'admin' })
        .map((v) => v.state),
    ),
  );
  return {
    nodes: () => s.registry.countByState(),
    vms: () => s.vms().countByState() ?? vmStates(),
    fleet: () => {
      let connections = 0;
      for (const e of s.registry.entries()) if (e.conn !== null) connections++;
      return { connections, series: series() };
    },
  };
}

/** whenChanged caches compute() until the next store write or node change. */
function whenChanged<T>(s: FleetSources, compute: () => T): () => T {
  let key = '';
  let value: T;
  return () => {
    const now = `${s.store.writes}:${s.registry.generation}`;
    if (now !== key) {
      value = compute();
      key = now;
    }
    return value;
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
  // VM counts come from the create-path index (VmOrder's counts), so a status line never walks every VM
  const stopStatus = startStatus(() => {
    const counts = s.vms().countByState() ?? countBy(Object.values(s.store.read().vms).map((v) => v.state));
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
