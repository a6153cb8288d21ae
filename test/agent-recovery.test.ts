import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  agentSpec,
  domainState,
  localArgs,
  runAgent,
  useAgentWorkdir,
} from './helpers/agent.js';
import { virsh } from './helpers/procs.js';

// Damage made behind the agent's back on the real libvirtd, then one `vmpool-agent recover`:
// a corrupt sidecar, a domain undefined under a running VM, a deleted disk, and a foreign domain.

const PREFIX = `${AGENT_PREFIX}rec-`;
const CORRUPT = `${PREFIX}corrupt`;
const UNDEFINED = `${PREFIX}undefined`;
const LOST = `${PREFIX}lost`;
const FOREIGN = `${PREFIX}foreign`;
const FOREIGN_XML = `<domain type='kvm'><name>${FOREIGN}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>`;

const work = useAgentWorkdir(PREFIX);
let report: Record<string, unknown[]> & { vms: { name: string; state: string }[] };
const before: Record<string, string> = {};

const sidecarOf = (name: string) => join(work.images, name, 'disk.qcow2.vmpool.json');
const readSidecar = async (name: string) => JSON.parse(await readFile(sidecarOf(name), 'utf8'));

beforeAll(async () => {
  // shared single-vCPU VMs may overlap, so three fit on this 2-thread host
  for (const [i, name] of [CORRUPT, UNDEFINED, LOST].entries()) {
    const spec = agentSpec(work.images, name, {
      vcpu_count: 1,
      cpu_policy: 'shared',
      vmid: 9100 + i,
      tuning: {
        vcpu_pins: [String(i % 2)],
        emulator_cpuset: '0-1',
        numa_memory: { nodeset: '0', mode: 'strict' },
      },
    });
    const run = await runAgent(['spawn', '--spec', await work.specs.write(spec), ...localArgs(work.images)]);
    if (run.code !== 0) throw new Error(`spawn ${name} failed: ${run.stderr}`);
  }
  await writeFile(join(work.specs.dir, 'foreign.xml'), FOREIGN_XML);
  await virsh(['define', join(work.specs.dir, 'foreign.xml')]);
  await virsh(['start', FOREIGN]);
  before.corruptId = (await virsh(['domid', CORRUPT])).trim();
  before.foreignXml = await virsh(['dumpxml', '--inactive', FOREIGN]);
  before.foreignId = (await virsh(['domid', FOREIGN])).trim();

  await writeFile(sidecarOf(CORRUPT), '{"schema_version": 1, garbage');
  await virsh(['destroy', UNDEFINED]);
  await virsh(['undefine', UNDEFINED]);
  await rm(join(work.images, LOST, 'disk.qcow2'));

  const rec = await runAgent(['recover', '--json', ...localArgs(work.images)]);
  if (rec.code !== 0) throw new Error(`recover failed: ${rec.stderr}`);
  report = JSON.parse(rec.stdout);
});

describe('vmpool-agent recover after damage behind its back', () => {
  it('quarantines a corrupt sidecar as *.corrupt-<ms> and reports it', async () => {
    const files = await readdir(join(work.images, CORRUPT));
    const moved = files.filter((f) => /^disk\.qcow2\.vmpool\.json\.corrupt-\d+$/.test(f));
    expect(moved).toHaveLength(1);
    expect(await readFile(join(work.images, CORRUPT, moved[0] as string), 'utf8')).toBe(
      '{"schema_version": 1, garbage',
    );
    expect(report.quarantined).toEqual([{ path: sidecarOf(CORRUPT), reason: expect.any(String) }]);
  });

  it('rebuilds that sidecar from the running domain metadata and leaves the VM untouched', async () => {
    expect(report.rebuilt).toEqual([CORRUPT]);
    const s = await readSidecar(CORRUPT);
    expect(s).toMatchObject({ name: CORRUPT, vmid: 9100, phase: 'done', observed_state: 'running' });
    expect(s.spec.tuning.vcpu_pins).toEqual(['0']);
    // cpu policy comes back from vmpool's metadata: a shared VM must not come back as dedicated
    expect(s.spec.cpu_policy).toBe('shared');
    expect(s.spec.disk_path).toBe(join(work.images, CORRUPT, 'disk.qcow2'));
    // same domain id: the running guest was never restarted
    expect((await virsh(['domid', CORRUPT])).trim()).toBe(before.corruptId);
  });

  it('redefines and starts a VM whose domain was undefined while disk and sidecar remained', async () => {
    expect(report.redefined).toEqual([UNDEFINED]);
    expect(await domainState(UNDEFINED)).toBe('running');
    const s = await readSidecar(UNDEFINED);
    expect(s.observed_state).toBe('running');
    expect(s.domain_uuid).toBe((await virsh(['domuuid', UNDEFINED])).trim());
    expect(await virsh(['vcpupin', UNDEFINED])).toMatch(/^\s*0\s+1\s*$/m);
  });

  it('reports a VM whose disk was deleted as lost', async () => {
    expect(report.lost).toEqual([LOST]);
    const s = await readSidecar(LOST);
    expect(s).toMatchObject({ observed_state: 'lost', failure: { code: 'disk_missing' } });
    expect(report.vms.find((v) => v.name === LOST)?.state).toBe('lost');
  });

  it('never touches a domain without vmpool metadata', async () => {
    expect(JSON.stringify(report)).not.toContain(FOREIGN);
    expect(await domainState(FOREIGN)).toBe('running');
    expect((await virsh(['domid', FOREIGN])).trim()).toBe(before.foreignId);
    expect(await virsh(['dumpxml', '--inactive', FOREIGN])).toBe(before.foreignXml);
    expect(existsSync(join(work.images, FOREIGN))).toBe(false);
  });

  it('rolls nothing back and destroys nothing', () => {
    expect(report.rolledBack).toEqual([]);
    expect(report.destroyed).toEqual([]);
  });
});
