import { describe, expect, it } from 'vitest';
import type { VmReport } from '../shared/protocol.js';
import { agentStatusLine } from './status.js';

const vm = (state: VmReport['state']) => ({ state }) as VmReport;
const up = { connected: true, since: 0, rttMs: 2.6, heartbeatsSent: 3 };

describe('agent STATUS= line', () => {
  it('counts VMs by state and shows the link with its RTT', () => {
    const vms = [...Array(12).fill(vm('running')), vm('failed')];
    expect(agentStatusLine(vms, up, 1_000)).toBe(
      '12 VMs running, 1 failed; connected to coordinator (RTT 3 ms)',
    );
  });

  it('says how long the coordinator has been unreachable and that VMs are unaffected', () => {
    const down = { connected: false, since: 10_000, rttMs: 3, heartbeatsSent: 0 };
    expect(agentStatusLine([vm('running')], down, 50_000)).toBe(
      '1 VM running; coordinator unreachable for 40 s, VMs unaffected',
    );
  });

  it('omits the RTT before the first pong', () => {
    expect(agentStatusLine([], { ...up, rttMs: null }, 0)).toBe('0 VMs running; connected to coordinator');
  });
});
