import type { Registry } from 'prom-client';

/** Node's default gauges that carry a counter's "_total" suffix; `promtool check metrics` flags them. */
const MISLABELLED = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * dropMislabelledGauges removes prom-client's default gauges named like counters, so both
 * programs' /metrics pass `promtool check metrics` (the per-type nodejs_active_* gauges stay).
 */
export function dropMislabelledGauges(registry: Registry, prefix: string): void {
  for (const name of MISLABELLED) registry.removeSingleMetric(`${prefix}${name}`);
}
