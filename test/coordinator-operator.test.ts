import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmRequest } from './helpers/fleet.js';
import { type RealNode, startRealNode } from './helpers/real-node.js';
import { ADMIN_TOKEN, BIN, type Coordinator, createTenant, runBin, virsh, waitFor } from './helpers/procs.js';

// The operator surface for real: the built vmpoolctl against the built coordinator and a real
// agent on qemu:///system — addressing forms, day-2 power, the event stream and image reports.

const MARK = 'e2eops';
const run = async (cmd: string, args: string[]) => (await promisify(execFile)(cmd, args)).stdout;
let node: RealNode;
let coord: Coordinator;
let imagesDir: string;
let tenant: { id: string; token: string };

const logs = () => node?.logs() ?? '';
const ctl = (args: string[], token = tenant.token) =>
  runBin(BIN.ctl, args, { VMPOOL_URL: coord.url, VMPOOL_TOKEN: token });

beforeAll(async () => {
  node = await startRealNode({
    nodeId: 'e2e-ops',
    prefix: 'e2e-ops',
    mark: MARK,
    agentArgs: ['--shutdown-timeout-ms', '500'],
  });
  ({ coord, imagesDir } = node);
  tenant = await createTenant(coord, 'e2e-ops');
});

afterAll(async () => {
  await node?.stop();
});

describe('vmpoolctl as an operator uses it, against a real agent', () => {
  let vm: { id: string; vmid: number; domain_name: string; name: string };
  const domstate = async () => (await virsh(['domstate', vm.domain_name])).trim();

  it('finds the VM by id, id prefix, name, VMID and domain name', async () => {
    const r = await coord.api('POST', '/v1/vms', {
      token: tenant.token,
      body: vmRequest(`${MARK}-a`, 1, 128),
    });
    expect(r.status, JSON.stringify(r.body) + logs()).toBe(201);
    vm = r.body;
    for (const ref of [vm.id, vm.id.slice(0, 8), vm.name, String(vm.vmid), vm.domain_name]) {
      const shown = await ctl(['--json', 'show', ref]);
      expect([ref, shown.code, JSON.parse(shown.stdout).id]).toEqual([ref, 0, vm.id]);
    }
  });

  it('refuses in a dry-run what the create refuses, with the same code', async () => {
    const flags = [
      '--name',
      vm.name,
      '--vcpus',
      '1',
      '--memory-mb',
      '128',
      '--disk-gb',
      '2',
      '--image',
      'blank',
    ];
    const dry = await ctl(['--json', 'dry-run', ...flags]);
    const real = await ctl(['--json', 'spawn', ...flags]);
    expect(dry.code).toBe(1);
    expect(JSON.parse(dry.stdout).code).toBe('name_in_use');
    expect(JSON.parse(real.stdout).code).toBe('name_in_use');
  });

  it('stops, starts and reboots it by name on qemu:///system', async () => {
    const stop = await ctl(['stop', vm.name, '--timeout-s', '1']);
    expect(stop.code, stop.stderr + logs()).toBe(0);
    expect(stop.stdout).toMatch(/^state:\s+stopped$/m);
    expect(await domstate()).toBe('shut off');
    // a stopped VM keeps its claim: the heartbeat keeps reporting it stopped, not lost
    await new Promise((r) => setTimeout(r, 2_500));
    expect(JSON.parse((await ctl(['--json', 'show', vm.name])).stdout).state).toBe('stopped');
    const start = await ctl(['start', String(vm.vmid)]);
    expect(start.code, start.stderr).toBe(0);
    expect(await domstate()).toBe('running');
    const before = (await virsh(['domid', vm.domain_name])).trim();
    expect((await ctl(['reboot', vm.domain_name, '--timeout-s', '1'])).code).toBe(0);
    expect(await domstate()).toBe('running');
    expect((await virsh(['domid', vm.domain_name])).trim()).not.toBe(before);
  });

  it('resizes it while stopped: new pins from placement, memory and a grown disk on qemu:///system', async () => {
    const running = await ctl(['--json', 'resize', vm.name, '--vcpus', '2']);
    expect([running.code, JSON.parse(running.stdout).code]).toEqual([1, 'conflict']);
    expect((await ctl(['stop', vm.name, '--timeout-s', '1'])).code).toBe(0);
    const shrink = await ctl(['--json', 'resize', vm.name, '--disk-gb', '1']);
    expect(JSON.parse(shrink.stdout).code).toBe('disk_shrink_refused');
    // this host has 2 threads on one NUMA node: 3 dedicated vCPUs can never fit there
    const big = await ctl(['resize', vm.name, '--vcpus', '3']);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/no_capacity/);
    const r = await ctl([
      '--json',
      'resize',
      vm.name,
      '--vcpus',
      '2',
      '--memory-mb',
      '256',
      '--disk-gb',
      '3',
    ]);
    expect(r.code, r.stderr + logs()).toBe(0);
    const after = JSON.parse(r.stdout);
    expect([after.vcpu_count, after.memory_mb, after.disk_size_gb, after.state]).toEqual([
      2,
      256,
      3,
      'stopped',
    ]);
    expect([...after.vcpu_pins].sort()).toEqual([0, 1]);
    expect((await ctl(['start', vm.name])).code).toBe(0);
    const pins = (await virsh(['vcpupin', vm.domain_name])).trim().split('\n').slice(2);
    expect(pins.map((l) => l.trim().split(/\s+/).map(Number))).toEqual(
      after.vcpu_pins.map((p: number, i: number) => [i, p]),
    );
    expect(await virsh(['dominfo', vm.domain_name])).toMatch(/Max memory:\s+262144 KiB/);
    const disk = join(imagesDir, 'vms', vm.id, 'root.qcow2');
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', '-U', disk]));
    expect(info['virtual-size']).toBe(3 * 1024 ** 3);
  });

  it('lists those steps as events; the audit log has them', async () => {
    const ev = await ctl(['--json', 'events', '--vm', vm.id, '--kind', 'vm.power']);
    const ops = JSON.parse(ev.stdout).events.map((e: { op: string; state: string }) => `${e.op}:${e.state}`);
    // the resize step stopped and started it once more
    expect(ops).toEqual(['stop:stopped', 'start:running', 'reboot:running', 'stop:stopped', 'start:running']);
    const audit = await ctl(['--json', 'audit'], ADMIN_TOKEN);
    const lines = JSON.parse(audit.stdout).entries.map((e: { op: string }) => e.op);
    expect(lines).toEqual(expect.arrayContaining(['vm.stop', 'vm.start', 'vm.reboot', 'vm.resize']));
    const resized = JSON.parse(
      (await ctl(['--json', 'events', '--vm', vm.id, '--kind', 'vm.resized'])).stdout,
    );
    expect(
      resized.events.map((e: { vcpu_count: number; memory_mb: number }) => [e.vcpu_count, e.memory_mb]),
    ).toEqual([[2, 256]]);
  });

  it('sees a base image added to the running agent within two heartbeats', async () => {
    await writeFile(join(imagesDir, 'base', 'added-later.qcow2'), '');
    const t0 = Date.now();
    await waitFor(
      async () =>
        JSON.parse((await ctl(['--json', 'images'])).stdout).images.some(
          (i: { name: string }) => i.name === 'added-later',
        ),
      { timeoutMs: 10_000, what: 'the new image in GET /v1/images' },
    );
    // the interval is 1 s here (--min-heartbeat-ms 1000): two beats plus slack
    expect(Date.now() - t0).toBeLessThan(3_000);
    // format, virtual size and the file's sha256 as the agent's catalog read them
    const blank = JSON.parse((await ctl(['--json', 'images'])).stdout).images.find(
      (i: { name: string }) => i.name === 'blank',
    );
    const file = join(imagesDir, 'base', 'blank.qcow2');
    const want = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', '-U', file]));
    expect(blank).toMatchObject({ format: 'qcow2', virtual_size: info['virtual-size'], sha256: want });
    expect((await ctl(['images'])).stdout).toMatch(/^IMAGE\s+FORMAT\s+VSIZE GiB/m);
  });

  it('destroys it by name', async () => {
    expect((await ctl(['destroy', vm.name])).code).toBe(0);
    expect((await ctl(['show', vm.name])).code).toBe(1);
  });
});
