import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AGENT_PREFIX,
  agentSpec,
  domainNames,
  emulatorPinOf,
  isoFile,
  isoVolumeId,
  KEY_ED25519,
  KEY_RSA,
  localArgs,
  numaTuneOf,
  runAgent,
  treeOf,
  vcpuPinsOf,
  useAgentWorkdir,
} from './helpers/agent.js';
import { virsh } from './helpers/procs.js';

// The local CLI against the real libvirtd + QEMU: what `spawn` makes is read back with virsh and
// isoinfo (the ground truth seed 003 names), and `destroy` must leave nothing behind.

const PREFIX = `${AGENT_PREFIX}spawn-`;
const work = useAgentWorkdir(PREFIX);

const MODES = [
  { mode: 'kvm', flags: ['--no-kvm-probe'], domainType: 'kvm', accel: /-accel kvm / },
  { mode: 'tcg', flags: ['--no-kvm'], domainType: 'qemu', accel: /-accel tcg / },
];

describe.each(MODES)('vmpool-agent spawn and destroy under $mode', ({ mode, flags, domainType, accel }) => {
  const name = `${PREFIX}${mode}`;
  const spec = () => agentSpec(work.images, name);
  const sidecarFile = () => join(work.images, name, 'disk.qcow2.vmpool.json');

  it('spawns the VM and exits 0', async () => {
    const run = await runAgent([
      'spawn',
      '--spec',
      await work.specs.write(spec()),
      ...localArgs(work.images, flags),
    ]);
    expect(run.stderr).not.toMatch(/"level":"(warn|error)"/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`spawned ${name}`);
  });

  it('pins vCPUs, the emulator and memory exactly as the spec says (virsh readback)', async () => {
    expect(await vcpuPinsOf(name)).toEqual(['0', '1']);
    expect(await emulatorPinOf(name)).toBe('0-1');
    expect(await numaTuneOf(name)).toEqual({ mode: 'strict', nodeset: '0' });
  });

  it(`defines a type='${domainType}' domain and QEMU runs with that accelerator`, async () => {
    const xml = await virsh(['dumpxml', name]);
    expect(xml).toMatch(new RegExp(`<domain type='${domainType}'`));
    const pid = (await readFile(`/run/libvirt/qemu/${name}.pid`, 'utf8')).trim();
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
    expect(cmdline).toMatch(accel);
  });

  it('writes a cidata seed ISO holding the users and keys byte for byte', async () => {
    const iso = join(work.images, name, 'seed.iso');
    expect(await isoVolumeId(iso)).toBe('cidata');
    const userData = await isoFile(iso, '/user-data');
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    expect(userData).toContain('- name: ops');
    const keyLines = userData.split('\n').filter((l) => /^\s*- ssh-/.test(l));
    expect(keyLines.map((l) => l.replace(/^\s*- /, ''))).toEqual([KEY_ED25519, KEY_RSA]);
    expect(await isoFile(iso, '/meta-data')).toContain(`local-hostname: ${name}`);
  });

  it('keeps a 0600 sidecar beside the disk with phase done and observed running', async () => {
    const st = await stat(sidecarFile());
    expect(st.mode & 0o777).toBe(0o600);
    const s = JSON.parse(await readFile(sidecarFile(), 'utf8'));
    expect(s).toMatchObject({ name, phase: 'done', observed_state: 'running', desired_state: 'running' });
    expect(s.domain_uuid).toBe((await virsh(['domuuid', name])).trim());
  });

  it('lists the VM as running with its pins', async () => {
    const run = await runAgent(['list', '--json', ...localArgs(work.images, flags)]);
    expect(run.code).toBe(0);
    const vms = JSON.parse(run.stdout) as { name: string; state: string; vcpu_pins: number[] }[];
    expect(vms.find((v) => v.name === name)).toMatchObject({
      state: 'running',
      vcpu_pins: [0, 1],
      numa_node: 0,
    });
  });

  it('destroys the VM: no domain, no files, no folder, no sidecar', async () => {
    const run = await runAgent(['destroy', name, ...localArgs(work.images, flags)]);
    expect(run.code).toBe(0);
    expect(await domainNames()).not.toContain(name);
    expect(existsSync(sidecarFile())).toBe(false);
    expect(existsSync(join(work.images, name))).toBe(false);
    expect(await treeOf(work.images)).toEqual([]);
  });
});

describe('vmpool-agent spawn with an extra data disk', () => {
  const name = `${PREFIX}extra`;
  const extra = () => join(work.images, name, 'data.qcow2');

  it('attaches the extra disk as vdb and removes it on destroy', async () => {
    const spec = agentSpec(work.images, name, { extra_disks: [{ path: extra(), size_gb: 1 }] });
    const run = await runAgent(['spawn', '--spec', await work.specs.write(spec), ...localArgs(work.images)]);
    expect(run.code, run.stderr).toBe(0);
    const xml = await virsh(['dumpxml', name]);
    expect(xml).toMatch(
      new RegExp(
        `<source file='${extra()}'[^>]*/>\\s*(<backingStore/>\\s*)?<target dev='vdb' bus='virtio'/>`,
      ),
    );
    const blk = await virsh(['domblklist', name]);
    expect(blk).toMatch(new RegExp(`vdb\\s+${extra()}`));

    expect((await runAgent(['destroy', name, ...localArgs(work.images)])).code).toBe(0);
    expect(existsSync(extra())).toBe(false);
    expect(await domainNames()).not.toContain(name);
    expect(await treeOf(work.images)).toEqual([]);
  });
});
