import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_TESTS } from '../shared/testing-env.js';
import { vmRequest } from './helpers/fleet.js';
import { bootContainer, type Container, nspawnTree, waitFor } from './helpers/nspawn.js';
import { requireBuild, virsh } from './helpers/procs.js';

// Operations tier: a real systemd 252 as PID 1 in a systemd-nspawn container, both units installed
// by scripts/install.sh exactly as docs/operations.md says, the agent under its own sandbox driving
// the host's real libvirtd (socket and images dir bound in). Every wait is bounded.

const execFileP = promisify(execFile);
const canRun =
  process.getuid?.() === 0 &&
  spawnSync('systemd-nspawn', ['--version']).status === 0 &&
  spawnSync('virsh', ['-c', 'qemu:///system', 'version']).status === 0;

const TAG = randomBytes(3).toString('hex');
const MACHINE = `vmpool-e2e-${TAG}`;
const IMAGES = `/var/lib/libvirt/images/vmpool-nspawn-${TAG}`;
const NODE = 'nspawn-node';
const REQUEST_ID = `e2e-nspawn-${TAG}`;
const COORD = 'http://127.0.0.1:7700';
let c: Container;
let admin: string;
let tenant: { id: string; token: string };
let domain = '';
let vmid = 0;

type Entry = Record<string, string>;

async function journal(args: string[]): Promise<Entry[]> {
  const r = await c.exec(['journalctl', '--no-pager', '-o', 'json', ...args]);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Entry);
}

async function statusText(unit: string): Promise<string> {
  return (await c.exec(['systemctl', 'show', '-p', 'StatusText', '--value', unit])).stdout.trim();
}

async function show(unit: string, prop: string): Promise<string> {
  return (await c.exec(['systemctl', 'show', '-p', prop, '--value', unit])).stdout.trim();
}

const diag = async () =>
  `\n--- journal ---\n${(await c.exec(['journalctl', '--no-pager', '-n', '80', '-u', 'vmpool-agent', '-u', 'vmpool-coordinator'])).stdout}`;

beforeAll(async () => {
  if (!canRun) return;
  requireBuild();
  const tree = await nspawnTree();
  await mkdir(join(IMAGES, 'base'), { recursive: true, mode: 0o755 });
  await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', join(IMAGES, 'base', 'blank.qcow2'), '1G']);
  c = await bootContainer(tree, MACHINE);
  // test-only drop-in: a 6 s watchdog and a short abort so the wedged-agent case fits CI
  const dropIn = '[Service]\nWatchdogSec=6s\nTimeoutAbortSec=3s\n';
  await c.exec([
    'sh',
    '-c',
    `mkdir -p /etc/systemd/system/vmpool-agent.service.d && printf '${dropIn}' > /etc/systemd/system/vmpool-agent.service.d/50-test.conf`,
  ]);
}, 900_000);

afterAll(async () => {
  if (!canRun) return;
  const names = await virsh(['list', '--all', '--name']).catch(() => '');
  for (const d of names.split('\n').filter((n) => n.includes(`-e2ens${TAG}`))) {
    await virsh(['destroy', d]).catch(() => undefined);
    await virsh(['undefine', d, '--nvram']).catch(() => virsh(['undefine', d]).catch(() => undefined));
  }
  await c?.stop();
  await rm(IMAGES, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!canRun && !STRICT_TESTS)('both units under a real systemd (nspawn)', () => {
  it('install.sh takes the bare tree to two running, enabled services; start returns after READY', async () => {
    const r = await c.exec(
      ['bash', '/opt/vmpool/scripts/install.sh', 'all', '--node-id', NODE, '--images-dir', IMAGES],
      180_000,
    );
    expect(r.code, r.stderr + (await diag())).toBe(0);
    for (const unit of ['vmpool-coordinator', 'vmpool-agent']) {
      expect(await show(unit, 'ActiveState')).toBe('active');
      expect(await show(unit, 'UnitFileState')).toBe('enabled');
    }
    expect(r.stderr).toContain('no wg0 on this host');
    admin = (await c.exec(['cat', '/etc/vmpool/admin-token'])).stdout.trim();
    expect(admin.length).toBeGreaterThanOrEqual(16);
    expect((await c.exec(['stat', '-c', '%a', '/etc/vmpool/join-token'])).stdout.trim()).toBe('600');
  });

  it('the agent joins and the coordinator STATUS= says so', async () => {
    const line = await waitFor(async () => {
      const s = await statusText('vmpool-coordinator');
      return /^1 node ready; 0 VMs; 0 spawns in flight$/.test(s) ? s : null;
    }, 30_000);
    expect(line, `${await statusText('vmpool-coordinator')}${await diag()}`).not.toBeNull();
    const status = await c.exec(['systemctl', '--no-pager', 'status', 'vmpool-coordinator']);
    expect(status.stdout).toContain('Status: "1 node ready; 0 VMs; 0 spawns in flight"');
    const created = await c.http(`${COORD}/v1/tenants`, {
      method: 'POST',
      token: admin,
      body: { name: `e2ens${TAG}`, quota: { vcpus: 64, memory_mb: 65_536, vms: 10 } },
    });
    expect(created.status).toBe(201);
    tenant = created.body as { id: string; token: string };
  });

  it('a tenant spawns a VM through the API on the agent running under its unit', async () => {
    const r = await c.http(`${COORD}/v1/vms?wait=true`, {
      method: 'POST',
      token: tenant.token,
      body: vmRequest(`e2ens${TAG}`, 1, 128),
      headers: { 'x-request-id': REQUEST_ID },
    });
    expect(r.status, r.text + (await diag())).toBe(201);
    expect(r.headers['x-request-id']).toBe(REQUEST_ID);
    const vm = r.body as { state: string; node_id: string; domain_name: string; vmid: number };
    vmid = vm.vmid;
    expect(vm).toMatchObject({ state: 'running', node_id: NODE });
    domain = vm.domain_name;
    expect(await virsh(['domstate', domain])).toContain('running');
  });

  it('systemctl status shows both STATUS= lines for the running VM', async () => {
    const agent = await waitFor(async () => {
      const s = await statusText('vmpool-agent');
      return /^1 VM running; connected to coordinator \(RTT \d+ ms\)$/.test(s) ? s : null;
    }, 20_000);
    expect(agent, await statusText('vmpool-agent')).not.toBeNull();
    const coord = await waitFor(async () => {
      const s = await statusText('vmpool-coordinator');
      return s === '1 node ready; 1 VM; 0 spawns in flight' ? s : null;
    }, 20_000);
    expect(coord, await statusText('vmpool-coordinator')).not.toBeNull();
  });

  it('journalctl VM_NAME= tells the spawn story from both services, with one REQUEST_ID', async () => {
    const entries = await journal([`VM_NAME=${domain}`]);
    const by = (id: string) => entries.filter((e) => e.SYSLOG_IDENTIFIER === id).map((e) => e.MESSAGE);
    expect(by('vmpool-coordinator')).toEqual(
      expect.arrayContaining([
        'vm create received',
        'vm claimed: quota checked, VMID held',
        'vm placed',
        'vm spawn sent to node',
        'vm running',
      ]),
    );
    expect(by('vmpool-agent')).toEqual(
      expect.arrayContaining(['vm spawn received', 'vm spawn validated', 'vm spawned']),
    );
    const steps = entries.filter((e) => e.MESSAGE === 'vm spawn step done');
    expect(steps.map((e) => e.VMPOOL_STEP)).toEqual([
      'overlay',
      'extra_disks',
      'seed_iso',
      'defined',
      'started',
      'verified',
    ]);
    for (const s of steps) expect(Number(s.VMPOOL_DURATION_MS)).toBeGreaterThanOrEqual(0);
    const story = entries.filter((e) => e.MESSAGE !== 'vm state reported');
    expect(new Set(story.map((e) => e.REQUEST_ID))).toEqual(new Set([REQUEST_ID]));
    expect(new Set(story.map((e) => e.TENANT_ID))).toEqual(new Set([tenant.id]));
    const placed = entries.find((e) => e.MESSAGE === 'vm placed')!;
    expect(placed).toMatchObject({ NODE_ID: NODE, VMPOOL_NUMA_NODE: '0', VMPOOL_PASS: expect.any(String) });
    // every line after the claim names the VM's id and VMID (the request is received before either exists)
    const unnamed = entries.filter((e) => e.MESSAGE !== 'vm create received' && !(e.VM_ID && e.VMID));
    expect(unnamed.map((e) => `${e.SYSLOG_IDENTIFIER} ${e.MESSAGE}`)).toEqual([]);
    // the docs' other recipes: every VM name ever logged, and one VMID on the agent
    expect((await c.exec(['journalctl', '-F', 'VM_NAME'])).stdout.split('\n')).toContain(domain);
    const byVmid = await journal(['-u', 'vmpool-agent', `VMID=${vmid}`]);
    expect(byVmid.map((e) => e.MESSAGE)).toContain('vm spawned');
    // the README recipe: one API request end to end
    const byRequest = await journal([`REQUEST_ID=${REQUEST_ID}`]);
    expect(new Set(byRequest.map((e) => e.SYSLOG_IDENTIFIER))).toEqual(
      new Set(['vmpool-coordinator', 'vmpool-agent']),
    );
  });

  it('a refused placement is one entry with ERROR_CODE=no_capacity at warning priority', async () => {
    const r = await c.http(`${COORD}/v1/vms`, {
      method: 'POST',
      token: tenant.token,
      body: vmRequest(`e2ens${TAG}-huge`, 1, 60_000),
    });
    expect([r.status, (r.body as { code: string }).code]).toEqual([409, 'no_capacity']);
    expect((r.body as { request_id: string }).request_id).toBe(r.headers['x-request-id']);
    const hits = await journal(['-u', 'vmpool-coordinator', 'ERROR_CODE=no_capacity']);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ PRIORITY: '4', REQUEST_ID: r.headers['x-request-id'] });
  });

  it('destroy is logged by both services under the same VM_NAME and REQUEST_ID', async () => {
    const r = await c.http(`${COORD}/v1/vms/${encodeURIComponent(await vmId())}`, {
      method: 'DELETE',
      token: tenant.token,
      headers: { 'x-request-id': `${REQUEST_ID}-rm` },
    });
    expect(r.status).toBe(204);
    const entries = await journal([`VM_NAME=${domain}`, `REQUEST_ID=${REQUEST_ID}-rm`]);
    expect(entries.map((e) => `${e.SYSLOG_IDENTIFIER} ${e.MESSAGE}`)).toEqual(
      expect.arrayContaining([
        'vmpool-coordinator vm destroy received',
        'vmpool-coordinator vm destroy sent to node',
        'vmpool-agent vm destroyed',
        'vmpool-coordinator vm destroyed',
      ]),
    );
  });

  it('a wedged agent (kill -STOP) is killed by the watchdog and restarted', async () => {
    const pid = await show('vmpool-agent', 'MainPID');
    const restarts = Number(await show('vmpool-agent', 'NRestarts'));
    expect(Number(pid)).toBeGreaterThan(0);
    expect((await c.exec(['kill', '-STOP', pid])).code).toBe(0);
    const next = await waitFor(async () => {
      const now = await show('vmpool-agent', 'MainPID');
      const active = await show('vmpool-agent', 'ActiveState');
      return now !== pid && Number(now) > 0 && active === 'active' ? now : null;
    }, 45_000);
    expect(next, await diag()).not.toBeNull();
    expect(Number(await show('vmpool-agent', 'NRestarts'))).toBe(restarts + 1);
    const log = (await c.exec(['journalctl', '--no-pager', '-u', 'vmpool-agent'])).stdout;
    expect(log).toMatch(/Watchdog timeout/);
  });

  it('a configuration error (exit 2) is not restarted', async () => {
    await c.exec(['sh', '-c', `sed -i 's/"reserved": false/"reserved": "maybe"/' /etc/vmpool/agent.json`]);
    await c.exec(['systemctl', 'restart', 'vmpool-agent'], 30_000);
    const state = await waitFor(async () => {
      const s = await show('vmpool-agent', 'ActiveState');
      return s === 'failed' ? s : null;
    }, 20_000);
    expect(state).toBe('failed');
    expect(await show('vmpool-agent', 'ExecMainStatus')).toBe('2');
    const restartsBefore = await show('vmpool-agent', 'NRestarts');
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await show('vmpool-agent', 'ActiveState')).toBe('failed');
    expect(await show('vmpool-agent', 'NRestarts')).toBe(restartsBefore);
    const errs = await journal(['-u', 'vmpool-agent', '-p', 'err', '-n', '5']);
    expect(errs.map((e) => e.MESSAGE).join('\n')).toMatch(/vmpool-agent: bad_config: .*reserved/);
  });
});

async function vmId(): Promise<string> {
  const r = await c.http(`${COORD}/v1/vms`, { token: tenant.token });
  const vms = (r.body as { vms: { id: string; domain_name: string }[] }).vms;
  return vms.find((v) => v.domain_name === domain)!.id;
}
