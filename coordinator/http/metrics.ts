import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Metrics is the coordinator's Prometheus registry and the instruments the code updates. */
export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  readonly httpRequests: Counter<'method' | 'status'>;
  readonly heartbeats: Counter;
  readonly placementSeconds: Histogram<'result'>;
  readonly nodes: Gauge<'state'>;
  readonly vms: Gauge<'state'>;
  render(): Promise<string>;
}

/** createMetrics builds a private registry (never the global one, so tests can make many). */
export function createMetrics(collect: {
  nodes: () => Record<string, number>;
  vms: () => Record<string, number>;
  /** registry to use (others, such as HA, may register into it too); a new one by default */
  registry?: Registry;
}): Metrics {
  const registry = collect.registry ?? new Registry();
  const nodes = new Gauge({
    name: 'vmpool_nodes',
    help: 'Known nodes by state',
    labelNames: ['state'],
    registers: [registry],
  });
  const vms = new Gauge({
    name: 'vmpool_vms',
    help: 'VMs by state',
    labelNames: ['state'],
    registers: [registry],
  });
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
    placementSeconds: new Histogram({
      name: 'vmpool_placement_seconds',
      help: 'Placement decision time',
      labelNames: ['result'],
      registers: [registry],
      buckets: [0.0001, 0.001, 0.01, 0.1, 1],
    }),
    nodes,
    vms,
    async render() {
      nodes.reset();
      for (const [s, n] of Object.entries(collect.nodes())) nodes.set({ state: s }, n);
      vms.reset();
      for (const [s, n] of Object.entries(collect.vms())) vms.set({ state: s }, n);
      return registry.metrics();
    },
  };
}
