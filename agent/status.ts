import type { VmReport } from '../shared/protocol.js';
import { plural } from '../shared/status.js';
import type { LinkState } from './link/client.js';

/**
 * agentStatusLine is the agent's STATUS=: "12 VMs running, 1 failed; connected to coordinator
 * (RTT 3 ms)" or "…; coordinator unreachable for 40 s, VMs unaffected".
 */
export function agentStatusLine(vms: readonly VmReport[], link: LinkState, now: number): string {
  const by = new Map<string, number>();
  for (const v of vms) by.set(v.state, (by.get(v.state) ?? 0) + 1);
  const parts = [`${plural(by.get('running') ?? 0, 'VM')} running`];
  for (const state of ['creating', 'paused', 'stopped', 'failed', 'lost', 'unknown'])
    if (by.get(state)) parts.push(`${by.get(state)} ${state}`);
  const linkPart = link.connected
    ? `connected to coordinator${link.rttMs === null ? '' : ` (RTT ${Math.max(1, Math.round(link.rttMs))} ms)`}`
    : `coordinator unreachable for ${Math.round((now - link.since) / 1000)} s, VMs unaffected`;
  return `${parts.join(', ')}; ${linkPart}`;
}
