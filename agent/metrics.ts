import { dropMislabelledGauges } from '../shared/metrics.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { VmReport } from '../shared/protocol.js';
import type { LinkState } from './link/client.js';
import type { NodeSnapshot } from './vms/snapshot.js';
import type { TuningReport } from './tuning/index.js';

/** AgentMetricsSource is what the agent's /metrics reads at scrape time. */
export interface AgentMetricsSource {
  vms: () => readonly VmReport[];
  link: () => LinkState;
  snapshot: () => Promise<NodeSnapshot>;
  tuning: () => TuningReport;
}

/** AgentMetrics is the agent's registry and the instruments the spawn path observes. */
export interface AgentMetrics {
  readonly registry: Registry;
  readonly spawnSteps: Histogram<'step' | 'result'>;
  readonly spawns: Counter<'result'>;
  render(): Promise<string>;
}

const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** createAgentMetrics builds a private registry with process metrics and the scrape-time gauges. */
export function createAgentMetrics(src: AgentMetricsSource): AgentMetrics {
  const registry = new Registry();
  // The event-loop delay histogram samples once a second, not every 10 ms (prom-client's default):
  // 100 wake-ups a second were about half of an idle agent's CPU (bench/RESULTS.md). A stall still
  // shows, as a late sample; the scrape-time nodejs_eventloop_lag_seconds is unchanged.
  collectDefaultMetrics({ register: registry, prefix: 'vmpool_agent_', eventLoopMonitoringPrecision: 1000 });
  dropMislabelledGauges(registry, 'vmpool_agent_');
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const vms = g('vmpool_agent_vms', 'VMs this agent holds, by state', ['state']);
  const connected = g('vmpool_agent_coordinator_connected', '1 while the coordinator link is up');
  const linkSince = g(
    'vmpool_agent_coordinator_link_change_timestamp_seconds',
    'When the link last went up or down',
  );
  const rtt = g('vmpool_agent_coordinator_rtt_seconds', 'Last WebSocket ping round trip to the coordinator');
  const beats = g('vmpool_agent_heartbeats_sent', 'Heartbeats sent since start');
  const free = g('vmpool_agent_numa_free_memory_bytes', 'Free memory per NUMA node', ['numa_node']);
  const c = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['vm_name'], registers: [registry] });
  // counters set from libvirt's running totals at scrape time (reset, then inc by the total)
  const cpu = c('vmpool_agent_vm_cpu_seconds_total', 'CPU time a VM used (libvirt cpu.time)');
  const wait = c(
    'vmpool_agent_vm_vcpu_wait_seconds_total',
    'Time vCPUs waited for a host thread (libvirt vcpu.N.wait)',
  );
  const mem = g('vmpool_agent_vm_memory_bytes', 'Memory a VM holds (libvirt balloon.rss or current)', [
    'vm_name',
  ]);
  const tuning = g(
    'vmpool_agent_host_tuning_ok',
    '1 when a host tuning check has the recommended value, 0 when not',
    ['check', 'value'],
  );
  return {
    registry,
    spawnSteps: new Histogram({
      name: 'vmpool_agent_spawn_step_seconds',
      help: 'Duration of each spawn pipeline step',
      labelNames: ['step', 'result'],
      buckets: STEP_BUCKETS,
      registers: [registry],
    }),
    spawns: new Counter({
      name: 'vmpool_agent_spawns_total',
      help: 'Spawns by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    async render() {
      const reports = src.vms();
      vms.reset();
      for (const state of ['creating', 'running', 'paused', 'stopped', 'failed', 'lost', 'unknown'])
        vms.set({ state }, reports.filter((v) => v.state === state).length);
      const link = src.link();
      connected.set(link.connected ? 1 : 0);
      linkSince.set(link.since / 1000);
      if (link.rttMs !== null) rtt.set(link.rttMs / 1000);
      beats.set(link.heartbeatsSent);
      const snap = await src.snapshot();
      free.reset();
      for (const n of snap.free_memory_mb)
        free.set({ numa_node: String(n.numa_node) }, n.free_memory_mb * 2 ** 20);
      perVm(reports, snap, { cpu, wait, mem });
      tuning.reset();
      for (const c of src.tuning().checks)
        if (c.ok !== null) tuning.set({ check: c.name, value: c.value ?? '' }, c.ok ? 1 : 0);
      return registry.metrics();
    },
  };
}

function perVm(
  reports: readonly VmReport[],
  snap: NodeSnapshot,
  m: { cpu: Counter<'vm_name'>; wait: Counter<'vm_name'>; mem: Gauge<'vm_name'> },
) {
  m.cpu.reset();
  m.wait.reset();
  m.mem.reset();
  for (const vm of reports) {
    const s = snap.stats[vm.vm_id];
    if (!s) continue;
    const labels = { vm_name: vm.name };
    if (typeof s['cpu.time'] === 'number') m.cpu.inc(labels, s['cpu.time'] / 1e9);
    if (typeof s['vcpu.wait'] === 'number') m.wait.inc(labels, s['vcpu.wait'] / 1e9);
    const kib = s['balloon.rss'] ?? s['balloon.current'];
    if (typeof kib === 'number') m.mem.set(labels, kib * 1024);
  }
}
