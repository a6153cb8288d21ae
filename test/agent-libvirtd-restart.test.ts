import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  agentSpec,
  domainState,
  localArgs,
  removeDomains,
  runAgent,
  SpecDir,
} from './helpers/agent.js';
import { type PrivateLibvirtd, startPrivateLibvirtd } from './helpers/libvirtd.js';
import {
  type Coordinator,
  makeImagesDir,
  type Proc,
  requireBuild,
  startAgent,
  startCoordinator,
  virsh,
  waitFor,
} from './helpers/procs.js';

// libvirtd restarts under a running agent. The daemon is a private one (own mount namespace, own
// socket) so the test can kill it without disturbing the machine's libvirtd. The VM was spawned by
// the local CLI, so the coordinator adopts it under tenant `_local` from the agent's reports.

const PREFIX = `${AGENT_PREFIX}lvd-`;
const NAME = `${PREFIX}vm`;
const HEARTBEAT_MS = 500;

let lvd: PrivateLibvirtd;
let images: string;
let specs: SpecDir;
let coord: Coordinator;
let agent: Proc;
let domIdBefore: string;

type VmView = { name: string; state: string; tenant: string };
async function coordinatorVm(): Promise<VmView | undefined> {
  const r = await coord.api('GET', '/v1/vms');
  return (r.body?.vms as VmView[] | undefined)?.find((v) => v.name === NAME);
}

beforeAll(async () => {
  requireBuild();
  lvd = await startPrivateLibvirtd(PREFIX);
  images = await makeImagesDir(PREFIX);
  specs = await SpecDir.create();
  const args = localArgs(images).map((a) => (a === 'qemu:///system' ? lvd.uri : a));
  const run = await runAgent(['spawn', '--spec', await specs.write(agentSpec(images, NAME)), ...args]);
  if (run.code !== 0) throw new Error(`spawn failed: ${run.stderr}`);
  domIdBefore = (await virsh(['domid', NAME], lvd.uri)).trim();
  coord = await startCoordinator({ args: ['--min-heartbeat-ms', String(HEARTBEAT_MS)] });
  agent = startAgent(coord.url, [
    '--node-id',
    `${PREFIX}node`,
    '--images-dir',
    images,
    '--libvirt-uri',
    lvd.uri,
  ]);
  await waitFor(async () => (await coordinatorVm())?.state === 'running', {
    what: `adopted VM\n${agent.out()}`,
  });
});

afterAll(async () => {
  await agent?.kill();
  await coord?.kill();
  if (lvd) await removeDomains(PREFIX, lvd.uri).catch(() => undefined);
  await lvd?.stop();
  for (const dir of [images, specs?.dir, coord?.dataDir, lvd?.dir])
    if (dir) await rm(dir, { recursive: true, force: true });
});

describe('libvirtd restarted under a running agent', () => {
  it('shows the locally spawned VM adopted as tenant _local before the restart', async () => {
    expect(await coordinatorVm()).toMatchObject({ name: NAME, state: 'running', tenant: '_local' });
  });

  it('keeps the VM running through the restart (same QEMU process, same domain id)', async () => {
    const pidBefore = lvd.pid();
    await lvd.restart();
    expect(lvd.pid()).not.toBe(pidBefore);
    expect(await domainState(NAME, lvd.uri)).toBe('running');
    expect((await virsh(['domid', NAME], lvd.uri)).trim()).toBe(domIdBefore);
  });

  it('keeps the agent alive and its heartbeats keep the VM running in the coordinator', async () => {
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 4));
    expect(agent.child.exitCode).toBeNull();
    expect(await coordinatorVm()).toMatchObject({ state: 'running' });
  });

  // the binding reopens its connection when libvirtd goes away (agent/hypervisor/libvirt/reconnect.ts)
  it('sees libvirt again after the restart: a VM stopped behind its back is reported stopped', async () => {
    await virsh(['destroy', NAME], lvd.uri);
    await waitFor(async () => (await coordinatorVm())?.state === 'stopped', {
      timeoutMs: HEARTBEAT_MS * 12,
      what: `the coordinator to see the VM stopped\n${agent.out().split('\n').slice(-8).join('\n')}`,
    });
  });
});
