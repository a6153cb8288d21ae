import { setImmediate as nextTurn } from 'node:timers/promises';
import { collectLater, dropMislabelledGauges, listOpenFdsOffThread } from '../../shared/metrics.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** FleetFigures are the fleet figures read at scrape time. */
export interface FleetFigures {
  /** connections is how many agents hold a WebSocket to this coordinator */
  connections: number;
  /**
   * series renders the per-node families as Prometheus text (vmpool_node_heartbeat_age_seconds,
   * vmpool_numa_free_threads, vmpool_numa_free_memory_bytes) from rows kept per node
   * (coordinator/http/node-series.ts) rather than through labelled gauges rebuilt every scrape
   */
  series: () => Promise<Buffer[]>;
}

/** MetricsCollect reads the gauges at scrape time; VMs by state come from the API's own view. */
export interface MetricsCollect {
  nodes: () => Record<string, number>;
  vms: () => Record<string, number>;
  fleet?: () => FleetFigures;
  /** registry to use (others, such as HA, may register into it too); a new one by default */
  registry?: Registry;
}

/** Metrics is the coordinator's Prometheus registry and the instruments the code updates. */
export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  readonly httpRequests: Counter<'method' | 'status'>;
  readonly heartbeats: Counter;
  /** heartbeatSeconds is one heartbeat's synchronous handling: parse, check, registry, reconcile start */
  readonly heartbeatSeconds: Histogram;
  readonly placementSeconds: Histogram<'result'>;
  readonly placements: Counter<'pass' | 'result'>;
  readonly spawnSeconds: Histogram<'result'>;
  readonly nodes: Gauge<'state'>;
  readonly vms: Gauge<'state'>;
  /** render is the whole /metrics text (renderBody, decoded) */
  render(): Promise<string>;
  /** renderBody is the /metrics body as UTF-8 bytes, as GET /metrics sends it */
  renderBody(): Promise<Buffer<ArrayBuffer>>;
}

const VM_STATES = ['creating', 'running', 'paused', 'stopped', 'failed', 'lost', 'unknown'];

/** createMetrics builds a private registry (never the global one, so tests can make many). */
export function createMetrics(collect: MetricsCollect): Metrics {
  const registry = collect.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vmpool_coordinator_' });
  dropMislabelledGauges(registry, 'vmpool_coordinator_');
  listOpenFdsOffThread(registry, 'vmpool_coordinator_');
  // each lists every socket (one per agent): a turn of its own each, not part of the first
  collectLater(registry, 'vmpool_coordinator_nodejs_active_handles', 1);
  collectLater(registry, 'vmpool_coordinator_nodejs_active_resources', 2);
  const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const nodes = gauge('vmpool_nodes', 'Known nodes by state', ['state']);
  const vms = gauge('vmpool_vms', 'VMs by state, as the API shows them', ['state']);
  const conns = gauge('vmpool_agent_connections', 'Agents connected over WebSocket', []);
  return {
    registry,
    contentType: registry.contentType,
    httpRequests: new Counter({
      name: 'vmpool_http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'status'],
      registers: [registry],
    }),
    heartbeats: new Counter({
      name: 'vmpool_heartbeats_total',
      help: 'Heartbeats received',
      registers: [registry],
    }),
    heartbeatSeconds: new Histogram({
      name: 'vmpool_heartbeat_handling_seconds',
      help: 'Heartbeat handling time on the event loop (parse, check, registry, reconcile start)',
      registers: [registry],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
    }),
    placementSeconds: new Histogram({
      name: 'vmpool_placement_seconds',
      help: 'Placement decision time',
      labelNames: ['result'],
      registers: [registry],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1],
    }),
    placements: new Counter({
      name: 'vmpool_placements_total',
      help: 'Placements by pass (0 = no node fitted) and result',
      labelNames: ['pass', 'result'],
      registers: [registry],
    }),
    spawnSeconds: new Histogram({
      name: 'vmpool_spawn_seconds',
      help: 'Time from claim to running (ok) or to release (failed)',
      labelNames: ['result'],
      registers: [registry],
      buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    }),
    nodes,
    vms,
    async render() {
      return (await this.renderBody()).toString('utf8');
    },
    async renderBody() {
      nodes.reset();
      for (const s of ['ready', 'down']) nodes.set({ state: s }, 0);
      for (const [s, n] of Object.entries(collect.nodes())) nodes.set({ state: s }, n);
      vms.reset();
      for (const s of VM_STATES) vms.set({ state: s }, 0);
      for (const [s, n] of Object.entries(collect.vms())) vms.set({ state: s }, n);
      const fleet = collect.fleet?.();
      if (fleet) conns.set(fleet.connections);
      const text = await registry.metrics();
      if (!fleet) return Buffer.from(text);
      // the per-node families in turns of their own (they yield every few thousand nodes too): I/O
      // queued meanwhile (beats, creates, /healthz) is served in between, so a scrape at 10,000 nodes
      // is a few short stalls, not one long one
      await nextTurn();
      const series = await fleet.series();
      return Buffer.concat([Buffer.from(text.endsWith('\n') ? text : `${text}\n`), ...series]);
    },
  };
}
