import type { Logger } from '../shared/log.js';
import { startStatus } from '../shared/status.js';
import type { AgentHost } from './host.js';
import type { AgentLink } from './link/client.js';
import { createAgentMetrics } from './metrics.js';
import { serveMetrics } from './metrics-server.js';
import { agentStatusLine } from './status.js';
import { type TuningReport, tuningWarnings } from './tuning/index.js';

/** ServiceExtrasOptions: the opened host, the link, the read tuning and the /metrics address. */
export interface ServiceExtrasOptions {
  host: AgentHost;
  link: AgentLink;
  tuning: TuningReport;
  metricsListen: string;
  log: Logger;
}

/**
 * startServiceExtras adds what an operator watches to `vmpool-agent run`: a warning per host
 * tuning miss, GET /metrics, and a STATUS= line kept current. Returns the function that stops them.
 */
export async function startServiceExtras(o: ServiceExtrasOptions): Promise<() => Promise<void>> {
  for (const c of tuningWarnings(o.tuning))
    o.log.warn('host tuning differs from the recommendation', {
      check: c.name,
      value: c.value,
      recommended: c.recommended,
      fix: c.note,
    });
  const metrics = createAgentMetrics({
    vms: () => o.host.manager.reports(),
    link: () => o.link.state(),
    snapshot: () => o.host.manager.snapshot(),
    tuning: () => o.tuning,
  });
  o.host.manager.observeSteps((step, seconds, ok) => {
    metrics.spawnSteps.observe({ step, result: ok ? 'ok' : 'failed' }, seconds);
    if (!ok) metrics.spawns.inc({ result: 'failed' });
    else if (step === 'verified') metrics.spawns.inc({ result: 'ok' });
  });
  // a busy port costs the operator /metrics, never the VMs: the agent runs on and says so
  const server =
    o.metricsListen === 'off'
      ? null
      : await serveMetrics(o.metricsListen, metrics, o.log).catch((err: unknown) => {
          o.log.error('cannot serve metrics', { err, listen: o.metricsListen });
          return null;
        });
  if (server) o.log.info('metrics listening', { address: server.address });
  const stopStatus = startStatus(() => agentStatusLine(o.host.manager.reports(), o.link.state(), Date.now()));
  return async () => {
    stopStatus();
    await server?.close();
  };
}
