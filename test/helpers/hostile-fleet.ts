import { rm } from 'node:fs/promises';
import { AGENT_PATH } from '../../coordinator/link/server.js';
import { helloFor } from '../../coordinator/registry/testing.js';
import { FakeAgent } from '../../coordinator/testing/fake-agent.js';
import { makeParty, type Party } from './http-raw.js';
import { type Coordinator, JOIN_TOKEN, requireBuild, startCoordinator } from './procs.js';

/** HostileFleet is a real coordinator process, two FakeAgent nodes and two tenants with one VM each. */
export interface HostileFleet {
  coord: Coordinator;
  agents: FakeAgent[];
  a: Party;
  b: Party;
  /** stop closes the agents, kills the coordinator and removes its data dir */
  stop(): Promise<void>;
}

/**
 * startHostileFleet is the setup the hostile suite and the HTTP fuzz share: the built coordinator
 * (rate limit out of the way, heartbeats rare), nodes `<prefix>-1` and `<prefix>-2` as FakeAgents
 * over real WebSockets (a mock: spawns are answered at once, no libvirt), tenants `<prefix>-a` and
 * `<prefix>-b`.
 */
export async function startHostileFleet(prefix: string): Promise<HostileFleet> {
  requireBuild();
  const coord = await startCoordinator({
    args: ['--rate-limit-per-second', '100000', '--min-heartbeat-ms', '600000'],
  });
  const agents: FakeAgent[] = [];
  const stop = async () => {
    for (const ag of agents) await ag.close();
    await coord.kill();
    await rm(coord.dataDir, { recursive: true, force: true });
  };
  try {
    const url = `${coord.url.replace('http', 'ws')}${AGENT_PATH}`;
    for (const id of [`${prefix}-1`, `${prefix}-2`])
      agents.push(await FakeAgent.connect(url, { joinToken: JOIN_TOKEN, hello: helloFor(id) }));
    const a = await makeParty(coord, `${prefix}-a`);
    const b = await makeParty(coord, `${prefix}-b`);
    return { coord, agents, a, b, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
