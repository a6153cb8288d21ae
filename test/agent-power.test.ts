import { beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  agentSpec,
  localArgs,
  runAgent,
  vcpuPinsOf,
  useAgentWorkdir,
} from './helpers/agent.js';
import { virsh } from './helpers/procs.js';

// Day-2 power operations on the real libvirtd + QEMU: the agent's stop/start/reboot keep the domain,
// its disks and its pins; the state is read back with virsh and with the agent's own list.

const PREFIX = `${AGENT_PREFIX}power-`;
const name = `${PREFIX}vm`;
const work = useAgentWorkdir(PREFIX);

beforeAll(async () => {
  const run = await runAgent([
    'spawn',
    '--spec',
    await work.specs.write(agentSpec(work.images, name)),
    ...localArgs(work.images, ['--no-kvm']),
  ]);
  expect(run.code, run.stderr).toBe(0);
});

const domstate = async () => (await virsh(['domstate', name])).trim();
const listed = async () => {
  const run = await runAgent(['list', '--json', ...localArgs(work.images)]);
  return (JSON.parse(run.stdout) as { name: string; state: string }[]).find((v) => v.name === name)?.state;
};

describe('vmpool-agent stop, start and reboot on qemu:///system', () => {
  it('stops a guest that ignores ACPI by forcing it off after the timeout, keeping the domain', async () => {
    const run = await runAgent(['stop', name, ...localArgs(work.images)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`stopped ${name}: stopped\n`);
    expect(await domstate()).toBe('shut off');
    expect(await listed()).toBe('stopped');
    expect(await vcpuPinsOf(name)).toEqual(['0', '1']);
  });

  it('starts it again with the same pins', async () => {
    const run = await runAgent(['start', name, ...localArgs(work.images)]);
    expect(run.code, run.stderr).toBe(0);
    expect(await domstate()).toBe('running');
    expect(await listed()).toBe('running');
  });

  it('reboots it: a new QEMU process, still running', async () => {
    const before = (await virsh(['domid', name])).trim();
    const run = await runAgent(['reboot', name, ...localArgs(work.images)]);
    expect(run.code, run.stderr).toBe(0);
    expect(await domstate()).toBe('running');
    expect((await virsh(['domid', name])).trim()).not.toBe(before);
  });

  it('refuses an unknown VM with vm_not_found and exit 1', async () => {
    const run = await runAgent(['stop', `${PREFIX}nope`, ...localArgs(work.images)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('vm_not_found');
  });
});
