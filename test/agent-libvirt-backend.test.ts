import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_PREFIX } from './helpers/agent.js';
import { BIN, makeImagesDir, requireBuild, startProc, waitFor } from './helpers/procs.js';

// On qemu:///system the agent speaks libvirtd's RPC protocol itself: libvirt.so.0 (and its ~40
// libraries) is never mapped into its process. The same agent with --libvirt-backend koffi does map
// it, so the check below can fail.
describe('vmpool-agent run on qemu:///system', () => {
  requireBuild();
  const procs: { kill: () => Promise<void> }[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill();
  });

  it.each([
    ['auto', false],
    ['koffi', true],
  ] as const)('--libvirt-backend %s: libvirt.so mapped after start = %s', async (backend, mapped) => {
    const images = await makeImagesDir(`${AGENT_PREFIX}backend-${backend}`);
    const agent = startProc(
      BIN.agent,
      ['run', '--coordinator', 'ws://127.0.0.1:9', '--images-dir', images, '--libvirt-backend', backend],
      { VMPOOL_JOIN_TOKEN: 'backend-test-join-token-0123' },
    );
    procs.push(agent);
    // 'agent running' comes after the KVM probe and recovery: every libvirt call of the start is done
    await waitFor(() => agent.out().includes('agent running'), {
      timeoutMs: 60_000,
      what: 'the agent to start',
    });
    const maps = await readFile(`/proc/${agent.child.pid}/maps`, 'utf8');
    expect(maps.includes('libvirt.so')).toBe(mapped);
    expect(agent.out()).toContain('"kvm probe"');
    await agent.kill();
  });
});
