import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_PREFIX, agentSpec, runAgent, SpecDir } from './helpers/agent.js';
import { BIN, makeImagesDir, requireBuild, startProc, waitFor } from './helpers/procs.js';

// The local commands and the running service must never both own one images dir: a local spawn the
// service does not know about could be given threads the coordinator later hands out again.
describe('vmpool-agent local commands while the service runs', () => {
  requireBuild();
  const procs: { kill: () => Promise<void> }[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill();
  });

  it('refuses spawn with agent_running while `run` owns the images dir, and works once it stopped', async () => {
    const images = await makeImagesDir(`${AGENT_PREFIX}lock`);
    const common = ['--images-dir', images, '--libvirt-uri', 'test:///default'];
    const service = startProc(BIN.agent, ['run', '--coordinator', 'ws://127.0.0.1:9', ...common], {
      VMPOOL_JOIN_TOKEN: 'lock-test-join-token-0123',
    });
    procs.push(service);
    await waitFor(() => service.out().includes('agent running'), { what: 'the agent service to start' });
    const specs = await SpecDir.create();
    const file = await specs.write(agentSpec(images, `${AGENT_PREFIX}lock-1`));
    const refused = await runAgent(['spawn', '--spec', file, ...common]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('agent_running');
    await service.kill();
    const ok = await runAgent(['spawn', '--spec', file, ...common]);
    expect(ok.stderr).not.toContain('agent_running');
    expect(ok.code).toBe(0);
  });
});
