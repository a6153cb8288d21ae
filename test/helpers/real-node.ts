import { rm } from 'node:fs/promises';
import { removeDomains, waitNodesReady } from './fleet.js';
import {
  type Coordinator,
  makeImagesDir,
  type Proc,
  requireBuild,
  startAgent,
  startCoordinator,
} from './procs.js';

/** RealNode is the built coordinator with one built agent on the real qemu:///system (e2e tests). */
export interface RealNode {
  readonly coord: Coordinator;
  readonly agent: Proc;
  readonly imagesDir: string;
  /** logs is the tail of both programs' output, for failure messages */
  logs(chars?: number): string;
  /** stop removes every domain named with the mark, stops both programs and deletes their dirs */
  stop(): Promise<void>;
}

/** RealNodeOptions: the node id, the images-dir prefix, the mark in every VM name, extra agent flags. */
export interface RealNodeOptions {
  nodeId: string;
  prefix: string;
  mark: string;
  agentArgs?: string[];
}

/**
 * startRealNode starts a coordinator beating at 1 s and one agent with a fresh images dir (a blank
 * base image), and waits until the node is ready. Run it under the libvirtd flock (e2e project).
 */
export async function startRealNode(o: RealNodeOptions): Promise<RealNode> {
  requireBuild();
  const imagesDir = await makeImagesDir(o.prefix);
  const coord = await startCoordinator({ args: ['--min-heartbeat-ms', '1000'] });
  const agent = startAgent(coord.url, [
    '--node-id',
    o.nodeId,
    '--images-dir',
    imagesDir,
    ...(o.agentArgs ?? []),
  ]);
  const logs = (chars = 3000) => `${coord.out().slice(-chars)}\n${agent.out().slice(-chars)}`;
  const stop = async () => {
    await removeDomains(o.mark);
    await agent.kill();
    await coord.kill();
    await rm(imagesDir, { recursive: true, force: true });
    await rm(coord.dataDir, { recursive: true, force: true });
  };
  try {
    await waitNodesReady(coord, [o.nodeId], () => logs());
  } catch (err) {
    await stop();
    throw err;
  }
  return { coord, agent, imagesDir, logs, stop };
}
