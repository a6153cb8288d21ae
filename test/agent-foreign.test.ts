import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  agentSpec,
  domainNames,
  localArgs,
  removeDomains,
  runAgent,
  SpecDir,
} from './helpers/agent.js';
import { makeImagesDir, requireBuild, virsh } from './helpers/procs.js';

const NAME = `${AGENT_PREFIX}foreign-1`;

// DESIGN: domains without vmpool metadata are never touched. A spawn that shares a foreign domain's
// name must be refused up front, and its rollback must not stop or undefine the foreign domain.
describe('vmpool-agent spawn next to a domain vmpool did not make', () => {
  requireBuild();
  afterAll(() => removeDomains(`${AGENT_PREFIX}foreign`));

  it('refuses the name with name_in_use and leaves the foreign domain defined', async () => {
    const images = await makeImagesDir(`${AGENT_PREFIX}foreign`);
    const xml = join(images, 'foreign.xml');
    await writeFile(
      xml,
      `<domain type='qemu'><name>${NAME}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`,
    );
    await virsh(['define', xml]);
    const specs = await SpecDir.create();
    const run = await runAgent([
      'spawn',
      '--spec',
      await specs.write(agentSpec(images, NAME)),
      ...localArgs(images),
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('name_in_use');
    expect(await domainNames()).toContain(NAME);
    expect(await virsh(['dumpxml', NAME])).not.toContain('vmpool');
  });
});
