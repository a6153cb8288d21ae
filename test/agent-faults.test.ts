import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  agentSpec,
  domainNames,
  localArgs,
  runAgent,
  treeOf,
  useAgentWorkdir,
} from './helpers/agent.js';

// Crash the agent (SIGKILL via VMPOOL_FAILPOINT) right after every spawn step, before and after the
// sidecar records it, then run recovery: the host must hold a whole VM or nothing, never debris.
// Recovery rolls back every spawn whose sidecar is not at `done`, so every row here expects nothing.

const PREFIX = `${AGENT_PREFIX}fault-`;
const PHASES = ['accepted', 'overlay', 'extra_disks', 'seed_iso', 'defined', 'started', 'verified'] as const;
const CASES = PHASES.flatMap((phase) => [
  { point: `spawn:${phase}`, phase, recorded: false },
  { point: `spawn:${phase}:recorded`, phase, recorded: true },
]);

const work = useAgentWorkdir(PREFIX);

function vmName(phase: string, recorded: boolean): string {
  return `${PREFIX}${phase.replaceAll('_', '-')}${recorded ? '-r' : ''}`;
}

describe('vmpool-agent killed during spawn, then recover', () => {
  it.each(CASES)(
    '$point: the agent dies by SIGKILL and recovery leaves nothing behind',
    async ({ point, phase, recorded }) => {
      const name = vmName(phase, recorded);
      const spec = agentSpec(work.images, name, {
        extra_disks: [{ path: join(work.images, name, 'data.qcow2'), size_gb: 1 }],
      });
      const crash = await runAgent(
        ['spawn', '--spec', await work.specs.write(spec), ...localArgs(work.images)],
        {
          VMPOOL_FAILPOINT: point,
        },
      );
      expect(crash.signal, `spawn should have been killed at ${point}: ${crash.stderr}`).toBe('SIGKILL');

      const rec = await runAgent(['recover', '--json', ...localArgs(work.images)]);
      expect(rec.code, rec.stderr).toBe(0);
      const report = JSON.parse(rec.stdout);
      // before the first sidecar write there is nothing recovery could know about
      const sidecarWritten = phase !== 'accepted' || recorded;
      expect(report.rolledBack).toEqual(sidecarWritten ? [name] : []);
      expect(report.vms).toEqual([]);
      expect(await domainNames()).not.toContain(name);
      // a crash between mkdir and the first sidecar write can only leave the VM's empty folder
      const left = await treeOf(work.images);
      expect(left.filter((p) => !(p === `${name}/` && !sidecarWritten))).toEqual([]);
      await rm(join(work.images, name), { recursive: true, force: true });
    },
  );

  it('spawns cleanly with no failpoint set, so the rows above prove a crash, not a broken spawn', async () => {
    const name = `${PREFIX}control`;
    const run = await runAgent([
      'spawn',
      '--spec',
      await work.specs.write(agentSpec(work.images, name)),
      ...localArgs(work.images),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const rec = JSON.parse((await runAgent(['recover', '--json', ...localArgs(work.images)])).stdout);
    expect(rec.adopted).toEqual([name]);
    expect(rec.rolledBack).toEqual([]);
    expect((await runAgent(['destroy', name, ...localArgs(work.images)])).code).toBe(0);
    expect(await treeOf(work.images)).toEqual([]);
  });

  // Crashes in the middle of a destroy: recovery finishes it. A destroy that asked to keep the disk
  // keeps exactly the disk, even when the crash came before the files were touched.
  it.each([
    { point: 'destroy:recorded', keep: false },
    { point: 'destroy:stopped', keep: false },
    { point: 'undo:domain-removed', keep: false },
    { point: 'destroy:recorded', keep: true },
    { point: 'undo:domain-removed', keep: true },
  ])('destroy killed at $point (keep disk $keep): recovery finishes it', async ({ point, keep }) => {
    const name = `${PREFIX}d-${point.replace(/[^a-z]/g, '')}${keep ? '-k' : ''}`;
    const spec = agentSpec(work.images, name);
    const made = await runAgent(['spawn', '--spec', await work.specs.write(spec), ...localArgs(work.images)]);
    expect(made.code, made.stderr).toBe(0);
    const crash = await runAgent(
      ['destroy', name, ...(keep ? ['--keep-disk'] : []), ...localArgs(work.images)],
      {
        VMPOOL_FAILPOINT: point,
      },
    );
    expect(crash.signal, `destroy should have been killed at ${point}: ${crash.stderr}`).toBe('SIGKILL');
    const report = JSON.parse((await runAgent(['recover', '--json', ...localArgs(work.images)])).stdout);
    expect(report.destroyed).toEqual([name]);
    expect(report.vms).toEqual([]);
    expect(await domainNames()).not.toContain(name);
    expect(await treeOf(work.images)).toEqual(keep ? [`${name}/`, `${name}/disk.qcow2`] : []);
    await rm(join(work.images, name), { recursive: true, force: true });
  });
});
