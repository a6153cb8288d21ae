import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamPool } from '../upstreams/pool.js';

/** BrokerMetrics is the broker's Prometheus registry and the instruments the code updates. */
export interface BrokerMetrics {
  readonly contentType: string;
  readonly requests: Counter<'endpoint' | 'code'>;
  readonly rejections: Counter<'reason'>;
  readonly tokens: Counter<'tenant' | 'kind'>;
  readonly meteringRecords: Counter<'status'>;
  readonly inFlight: Gauge;
  readonly duration: Histogram<'endpoint'>;
  readonly licenseValid: Gauge;
  render(): Promise<string>;
}

const STATES = ['closed', 'open', 'half_open'] as const;

/** createBrokerMetrics builds a private registry; circuit states and upstream load are read at scrape time. */
export function createBrokerMetrics(pool: UpstreamPool): BrokerMetrics {
  const registers = [new Registry()];
  const registry = registers[0]!;
  const circuit = new Gauge({
    name: 'vmpool_broker_circuit_state',
    help: 'Circuit state per upstream (1 for the current state)',
    labelNames: ['upstream', 'state'],
    registers,
  });
  const outstanding = new Gauge({
    name: 'vmpool_broker_upstream_outstanding',
    help: 'Requests in flight per upstream',
    labelNames: ['upstream'],
    registers,
  });
  const healthy = new Gauge({
    name: 'vmpool_broker_upstream_healthy',
    help: 'Upstream health check result (1 healthy)',
    labelNames: ['upstream'],
    registers,
  });
  return {
    contentType: registry.contentType,
    requests: new Counter({
      name: 'vmpool_broker_requests_total',
      help: 'Inference requests by endpoint and answer code',
      labelNames: ['endpoint', 'code'],
      registers,
    }),
    rejections: new Counter({
      name: 'vmpool_broker_rejections_total',
      help: 'Requests refused at the gate, by reason (error code)',
      labelNames: ['reason'],
      registers,
    }),
    tokens: new Counter({
      name: 'vmpool_broker_tokens_total',
      help: 'Metered tokens by tenant and kind (prompt, completion)',
      labelNames: ['tenant', 'kind'],
      registers,
    }),
    meteringRecords: new Counter({
      name: 'vmpool_broker_metering_records_total',
      help: 'Durable metering records by status',
      labelNames: ['status'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'vmpool_broker_in_flight',
      help: 'Admitted requests not yet finished',
      registers,
    }),
    duration: new Histogram({
      name: 'vmpool_broker_request_seconds',
      help: 'Time to the answer headers',
      labelNames: ['endpoint'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
    licenseValid: new Gauge({
      name: 'vmpool_broker_license_valid',
      help: '1 while the license is valid',
      registers,
    }),
    async render() {
      circuit.reset();
      for (const u of pool.all()) {
        const st = u.breaker.current();
        for (const s of STATES) circuit.set({ upstream: u.name, state: s }, s === st ? 1 : 0);
        outstanding.set({ upstream: u.name }, u.outstanding);
        healthy.set({ upstream: u.name }, u.healthy ? 1 : 0);
      }
      return registry.metrics();
    },
  };
}
