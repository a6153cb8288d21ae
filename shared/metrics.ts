import { readdir } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Gauge, type Registry } from 'prom-client';

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

const OPEN_FDS = 'process_open_fds';

/**
 * listOpenFdsOffThread replaces prom-client's default `process_open_fds` gauge (Linux only) by one
 * with the same name, help and value that lists /proc/self/fd in libuv's thread pool. The default
 * lists it synchronously on the event loop: with one socket per agent that is 15 ms per scrape at
 * 10,000 agents.
 */
export function listOpenFdsOffThread(registry: Registry, prefix: string): void {
  const name = `${prefix}${OPEN_FDS}`;
  if (!registry.getSingleMetric(name)) return; // not Linux: prom-client did not register it either
  registry.removeSingleMetric(name);
  new Gauge({
    name,
    help: 'Number of open file descriptors.',
    registers: [registry],
    async collect() {
      try {
        // minus the descriptor the listing itself held open, as prom-client's own gauge does
        this.set((await readdir('/proc/self/fd')).length - 1);
      } catch {
        // no /proc: leave the last value
      }
    },
  });
}

/**
 * collectLater makes a registered metric's collector wait `turns` event-loop turns before it runs, so
 * a collector that lists every socket (prom-client's nodejs_active_handles, nodejs_active_resources:
 * 10,000 agents' sockets on a coordinator) is a short stall of its own, with I/O served before it,
 * not part of one long scrape. Give each such collector a different count: immediates queued in the
 * same turn run back to back. Same series, values read a turn or two later.
 */
export function collectLater(registry: Registry, name: string, turns: number): void {
  const metric = registry.getSingleMetric(name) as { collect?: (this: unknown) => unknown } | undefined;
  const collect = metric?.collect;
  if (!metric || !collect) return;
  metric.collect = async function (this: unknown) {
    for (let i = 0; i < turns; i++) await nextTurn();
    return collect.call(this);
  };
}
