import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnSpec } from '../../../../shared/spec.js';
import { writeSeedIso } from '../../../cloudinit/iso.js';
import { buildSeedFiles } from '../../../cloudinit/seed.js';
import { parseDomainTuning, parseVmpoolMetadata } from './parse.js';
import { contextFor, seedVm1Spec } from './testing/testdata.js';
import { freeLoopbackPort } from '../ports.js';
import { buildDomainXml, type DomainContext } from './xml.js';

const run = promisify(execFile);
const PREFIX = `vmpool-h5-${process.pid}`;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpool-h5-'));
  // QEMU runs as another user and must traverse this folder to open the disk
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** defineOnTestDriver defines and dumps in one virsh process, since test:/// state dies with the process. */
async function defineOnTestDriver(xml: string, name: string): Promise<string> {
  const file = join(dir, `${name}.xml`);
  await writeFile(file, xml);
  const { stdout } = await run('virsh', ['-c', 'test:///default', `define ${file}; dumpxml ${name}`]);
  return stdout.slice(stdout.indexOf('<domain'));
}

describe('buildDomainXml on the libvirt test driver', () => {
  it.each([true, false])(
    'libvirt accepts seed-003 VM1 (kvm=%s) and keeps cputune, numatune and metadata',
    async (kvm) => {
      const spec = seedVm1Spec({ vmid: 1001, tenant: 'acme' });
      const dumped = await defineOnTestDriver(buildDomainXml(spec, contextFor(spec, { kvm })), spec.name);
      const tuning = parseDomainTuning(dumped);
      expect(tuning.kvm).toBe(kvm);
      expect(tuning.vcpuPins).toEqual(spec.tuning.vcpu_pins.map((p) => [Number(p)]));
      expect(tuning.emulatorCpus).toEqual([16, 17, 52, 53]);
      expect(tuning.numa).toEqual({ mode: 'strict', nodeset: '0' });
      expect(parseVmpoolMetadata(dumped)).toMatchObject({
        id: 'vm-0001',
        name: spec.name,
        vmid: 1001,
        tenant: 'acme',
      });
    },
  );

  it('round-trips hostile strings through libxml2, including a newline in an attribute', async () => {
    const hostile = `a'b"c&d<e>f]]>g\nh`;
    const spec = seedVm1Spec({ name: `${PREFIX}-hostile` });
    const xml = buildDomainXml(
      spec,
      contextFor(spec, { vmId: hostile, seedIsoPath: `/seed/${hostile}.iso` }),
    );
    const dumped = await defineOnTestDriver(xml, spec.name);
    expect(parseVmpoolMetadata(dumped)?.id).toBe(hostile);
    expect(parseDomainTuning(dumped).diskPaths).toContain(`/seed/${hostile}.iso`);
  });
});

describe('buildDomainXml on qemu:///system', () => {
  const virsh = (...args: string[]) => run('virsh', ['-c', 'qemu:///system', ...args]);
  const names: string[] = [];

  afterAll(async () => {
    for (const name of names) {
      await virsh('destroy', name).catch(() => undefined);
      await virsh('undefine', name).catch(() => undefined);
    }
  });

  async function tinyVm(label: string): Promise<SpawnSpec> {
    const name = `${PREFIX}-${label}`;
    names.push(name);
    const disk = join(dir, `${name}.qcow2`);
    const iso = join(dir, `${name}-seed.iso`);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    await writeSeedIso(buildSeedFiles({ instanceId: name, hostname: name, users: [] }), iso);
    return seedVm1Spec({
      name,
      vcpu_count: 2,
      memory_mb: 128,
      disk_path: disk,
      cloud_init_iso_path: iso,
      bridge_network_interface: null,
      tuning: { vcpu_pins: ['0', '1'], emulator_cpuset: '1', numa_memory: { nodeset: '0', mode: 'strict' } },
    });
  }

  it.each<[string, Partial<DomainContext>]>([
    ['kvm', { kvm: true }],
    ['tcg', { kvm: false }],
    ['passthrough', { kvm: true, cpuMode: 'host-passthrough' }],
  ])('defines, starts and reads back a %s domain with its pins', async (label, ctx) => {
    const spec = await tinyVm(label);
    const file = join(dir, `${spec.name}.xml`);
    const net = { userNetwork: true, mac: '52:54:00:00:00:01', sshPort: await freeLoopbackPort(new Set()) };
    await writeFile(file, buildDomainXml(spec, contextFor(spec, { ...net, ...ctx })));
    await virsh('define', file);
    const inactive = (await virsh('dumpxml', '--inactive', spec.name)).stdout;
    expect(parseDomainTuning(inactive)).toMatchObject({
      kvm: ctx.kvm,
      vcpuPins: [[0], [1]],
      emulatorCpus: [1],
      diskPaths: [spec.disk_path, spec.cloud_init_iso_path],
    });
    expect(parseVmpoolMetadata(inactive)?.id).toBe('vm-0001');
    await virsh('start', spec.name);
    expect((await virsh('domstate', spec.name)).stdout.trim()).toBe('running');
    expect((await virsh('emulatorpin', spec.name)).stdout).toMatch(/\*:\s+1\s*$/m);
    await virsh('destroy', spec.name);
    await virsh('undefine', spec.name);
  });
});
