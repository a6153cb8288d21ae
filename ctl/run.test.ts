import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CTL_URL, ctlAgainstApp, runCaptured, spawnVm1, useCtlHarness } from './testing/against-app.js';
import { SEED_003_VM1 } from './testing/seed-003.js';
import { HARNESS_ADMIN_TOKEN } from '../coordinator/http/testing/harness.js';

const flags = (name: string, vcpus: number) => [
  '--name',
  name,
  '--vcpus',
  String(vcpus),
  '--memory-mb',
  '2048',
  '--disk-gb',
  '10',
  '--image',
  'debian',
];

describe('vmpoolctl VM commands against the real coordinator app', () => {
  const x = useCtlHarness();

  it('spawns from a seed-003 spec file: pins come from placement, the tuning block is not sent', async () => {
    const spec = join(x.dir, 'vm1.json');
    writeFileSync(spec, JSON.stringify(SEED_003_VM1));
    const r = await x.ctl(['spawn', '--spec', spec]);
    expect(r.code).toBe(0);
    expect(x.seen[0]).toMatchObject({
      method: 'POST',
      url: `${CTL_URL}/v1/vms`,
      auth: `Bearer ${x.tenant.token}`,
      body: { name: 'k3s-worker-slm-heavy', image: 'base', network: { bridge: 'br0' } },
    });
    expect(x.seen[0]!.body).not.toHaveProperty('tuning');
    expect(r.stderr).toContain('pins come from placement');
    expect(r.stdout).toMatch(/^state:\s+running$/m);
    expect(Object.values(x.h.store.read().vms).map((v) => v.name)).toEqual(['k3s-worker-slm-heavy']);
  });

  it('lists VMs as a table with pins as a cpulist', async () => {
    const id = await spawnVm1(x);
    const r = await x.ctl(['list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+TENANT\s+VMID\s+STATE\s+NODE\s+NUMA\s+vCPU\s+MEM MiB\s+PINS$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${id}\\s+k3s-worker-slm-heavy\\s+${x.tenant.id}\\s+100\\s+running\\s+node-a\\s+0\\s+32\\s+\\d+\\s+0-15,36-51$`,
      ),
    );
  });

  it('prints with --json exactly what the API answers', async () => {
    await spawnVm1(x);
    const r = await x.ctl(['--json', 'list']);
    expect(JSON.parse(r.stdout)).toEqual((await x.h.call('GET', '/v1/vms', { token: x.tenant.token })).body);
  });

  it('shows one VM with pins, emulator cpuset, NUMA node and band', async () => {
    const id = await spawnVm1(x);
    const r = await x.ctl(['show', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^vcpu pins:\s+0-15,36-51$/m);
    expect(r.stdout).toMatch(/^emulator cpuset:\s+16-17,52-53$/m);
    expect(r.stdout).toMatch(/^numa node:\s+0$/m);
    expect(r.stdout).toMatch(/^vmid:\s+100 \(band ai-prod\)$/m);
  });

  it('spawns from flags with ?wait=false and an idempotency key; a retry returns the same VM', async () => {
    const argv = [
      'spawn',
      ...flags('web-1', 2),
      '--tag',
      'a',
      '--tag',
      'b',
      '--no-wait',
      '--idempotency-key',
      'k1',
    ];
    const first = await x.ctl(['--json', ...argv]);
    expect(first.code).toBe(0);
    expect(x.seen[0]).toMatchObject({ url: `${CTL_URL}/v1/vms?wait=false`, idempotencyKey: 'k1' });
    expect(x.seen[0]!.body).toMatchObject({
      name: 'web-1',
      vcpu_count: 2,
      memory_mb: 2048,
      tags: ['a', 'b'],
    });
    const again = await x.ctl(['--json', ...argv]);
    expect(JSON.parse(again.stdout).id).toBe(JSON.parse(first.stdout).id);
    expect(Object.keys(x.h.store.read().vms)).toHaveLength(1);
  });

  it('renders a no_capacity problem as the tenant may see it (no nodes, no occupancy) and exits 1', async () => {
    const r = await x.ctl(['spawn', ...flags('big', 64)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^vmpoolctl: no_capacity: Cannot place VM: never fits: the largest NUMA node has \d+ threads and \d+ MiB for VMs\n$/,
    );
    expect(r.stderr).not.toContain('node-a');
    expect(x.h.store.read().vms).toEqual({});
  });

  it('puts the problem body on stdout too when --json is given', async () => {
    const r = await x.ctl(['--json', 'show', 'nope']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'not_found', status: 404 });
    expect(r.stderr).toBe(
      'vmpoolctl: not_found: Cannot find VM "nope": no VM has that id, name, VMID or domain name\n',
    );
  });

  it('lists field paths of a validation_failed answer', async () => {
    const r = await x.ctl(['spawn', ...flags('web-1', 2), '--tag', 'bad tag!']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vmpoolctl: validation_failed: Cannot accept VM request: tags\.0 /);
    expect(r.stderr).toMatch(/^ {2}--tag \(tags\.0\): /m);
  });

  it('shows the admin a dry-run decision and per-pass reasons, a tenant the verdict only; exits 1 when nothing fits', async () => {
    x.h.addNode('node-b'); // has the debian image only
    const ok = await x.admin(['dry-run', ...flags('x', 4).slice(0, -1), 'base']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^decision:\s+node node-a, NUMA node 0, pass 1$/m);
    expect(ok.stdout).toMatch(/^ {4}image_missing: 1 \(node-b\) — /m);
    const mine = await x.ctl(['dry-run', ...flags('x', 4).slice(0, -1), 'base']);
    expect([mine.code, mine.stdout]).toEqual([
      0,
      'decision: fits\nreason:   fits: there is room for 4 dedicated vCPUs and 2048 MiB on one NUMA node\nvmid:     100\n',
    ]);
    const table = await x.admin(['dry-run', '--nodes', ...flags('x', 4).slice(0, -1), 'base']);
    expect(table.stdout).toMatch(/^\s*1\s+node-a\s+chosen$/m);
    expect(table.stdout).toMatch(/^\s*1\s+node-b\s+image_missing\s+\S/m);
    expect(x.h.store.read().vms).toEqual({});
    const none = await x.admin(['dry-run', ...flags('x', 64)]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('decision: no node fits');
    const notMine = await x.ctl(['dry-run', ...flags('x', 64)]);
    expect(notMine.code).toBe(1);
    expect(notMine.stdout).toMatch(/^reason:\s+never fits: the largest NUMA node has \d+ threads/m);
  });

  it('says so when no node is registered', async () => {
    const empty = await ctlAgainstApp({ nodes: [] });
    const r = await empty.admin(['dry-run', ...flags('x', 4)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no nodes registered');
    const mine = await empty.ctl(['dry-run', ...flags('x', 4)]);
    expect(mine.stdout).toMatch(/^reason:\s+never fits: no node is registered$/m);
  });

  it('destroys a VM (204, no body); --keep-disk reaches the node', async () => {
    const id = await spawnVm1(x);
    const r = await x.ctl(['destroy', id, '--keep-disk'], {
      VMPOOL_URL: CTL_URL,
      VMPOOL_TOKEN: HARNESS_ADMIN_TOKEN,
    });
    expect(r).toMatchObject({ code: 0, stdout: `destroyed ${id} (disk kept)\n` });
    expect(x.seen.at(-1)).toMatchObject({ method: 'DELETE', url: `${CTL_URL}/v1/vms/${id}?keep_disk=true` });
    expect(x.h.sent.find((m) => m.type === 'destroy')).toMatchObject({ vm_id: id, keep_disk: true });
    expect(x.h.store.read().vms).toEqual({});
  });

  it('takes the token from VMPOOL_TOKEN_FILE and the url from --config; flags beat the environment', async () => {
    writeFileSync(join(x.dir, 'token'), `${x.tenant.token}\n`);
    writeFileSync(join(x.dir, 'ctl.json'), JSON.stringify({ url: CTL_URL }));
    const fromFile = await x.ctl(['--config', join(x.dir, 'ctl.json'), 'list'], {
      VMPOOL_TOKEN_FILE: join(x.dir, 'token'),
    });
    expect(fromFile.code).toBe(0);
    expect(x.seen.at(-1)).toMatchObject({
      url: `${CTL_URL}/v1/vms`,
      auth: `Bearer ${x.tenant.token}`,
    });
    const flagged = await x.ctl(['--url', 'http://flag.test', '--token', x.tenant.token, 'list'], {
      VMPOOL_URL: 'http://env.test',
      VMPOOL_TOKEN: 'wrong',
    });
    expect(flagged.code).toBe(0);
    expect(x.seen.at(-1)).toMatchObject({
      url: 'http://flag.test/v1/vms',
      auth: `Bearer ${x.tenant.token}`,
    });
    const envWrong = await x.ctl(['list'], { VMPOOL_URL: CTL_URL, VMPOOL_TOKEN: 'wrong' });
    expect(envWrong.code).toBe(1);
    expect(envWrong.stderr).toMatch(/^vmpoolctl: unauthorized: /);
  });
});

describe('vmpoolctl exit codes without a coordinator answer', () => {
  const ctl = (argv: string[], env: NodeJS.ProcessEnv) => runCaptured(argv, { env });

  it('exits 3 when the coordinator is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await ctl(['list'], { VMPOOL_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        `^vmpoolctl: unreachable: Cannot reach coordinator at http://127.0.0.1:${port}: .*ECONNREFUSED`,
      ),
    );
  });

  it.each([
    [['frobnicate'], /unknown command/],
    [['tenants'], /expected one of tenants create, tenants list/],
    [['list', '--bogus'], /Cannot parse arguments/],
    [['spawn', '--vcpus', '2'], /--name is required/],
    [['show'], /expected one VM \(id, name, VMID or domain name\), got 0/],
    [[], /no command given/],
    [['--url', 'ftp://x', 'list'], /^vmpoolctl: usage: Cannot use --url "ftp:\/\/x"/],
  ])('exits 2 for usage error %j', async (argv, message) => {
    const r = await ctl(argv, { VMPOOL_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('prints tool help and command help with exit 0', async () => {
    const tool = await ctl(['--help'], {});
    expect(tool.code).toBe(0);
    expect(tool.stdout).toContain('tenants create');
    expect(tool.stdout).toContain('VMPOOL_URL');
    const spawn = await ctl(['spawn', '--help'], {});
    expect(spawn.code).toBe(0);
    expect(spawn.stdout).toContain('--idempotency-key');
    expect(spawn.stdout).toContain('--spec');
  });
});
